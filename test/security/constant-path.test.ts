import { SHA256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import type { Pepper, VerifyResult } from "patkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unissuedToken } from "../support/arbitraries.js";
import { fuzzRuns, fuzzTimeout } from "../support/fuzz.js";
import { alice, aliceOwner, createHarness } from "../support/host.js";
import { tokenParts, withOtherSecret } from "../support/token-strings.js";

// Counts SHA-256 finalizations, the unit of hashing work (an HMAC is two), by wrapping the real
// method of the class patkit hashes with. Nothing is replaced: every hash is still computed.
let digests = 0;
const realDigestInto = SHA256.prototype.digestInto;
beforeAll(() => {
  SHA256.prototype.digestInto = function countedDigestInto(this: SHA256, out: Uint8Array) {
    digests++;
    return realDigestInto.call(this, out);
  };
});
afterAll(() => {
  SHA256.prototype.digestInto = realDigestInto;
});

interface Trace {
  readonly result: VerifyResult;
  readonly digests: number;
  readonly storeCalls: readonly string[];
}

const PEPPERS: Readonly<Record<string, Pepper | Pepper[] | undefined>> = {
  "no pepper (SHA-256)": undefined,
  "one pepper (HMAC-SHA-256)": "current pepper",
  "a pepper and two earlier ones": ["pepper 3", "pepper 2", new Uint8Array([1, 2, 3])],
};

describe("a known id with a wrong secret and an unknown id take the same path", () => {
  for (const [name, pepper] of Object.entries(PEPPERS)) {
    it(
      `${name}: the same hashing work, the same store calls, the same answer`,
      async () => {
        const harness = createHarness({ pepper });
        const { tokens, counting } = harness;
        const live = await tokens.create(
          { owner: aliceOwner, name: "live", permissions: ["REPO_READ"] },
          alice,
        );
        const revoked = await tokens.create(
          { owner: aliceOwner, name: "revoked", permissions: ["REPO_READ"] },
          alice,
        );
        await tokens.revoke(revoked.token.id, alice);
        await counting.idle();

        async function trace(token: string): Promise<Trace> {
          counting.reset();
          const before = digests;
          const result = await tokens.verifyToken(token);
          return { result, digests: digests - before, storeCalls: [...counting.calls] };
        }

        await fc.assert(
          fc.asyncProperty(unissuedToken(), async (stranger) => {
            const secret = tokenParts(stranger).secret;
            const unknownId = await trace(stranger);
            const knownId = await trace(withOtherSecret(live.secret, secret));
            const revokedId = await trace(withOtherSecret(revoked.secret, secret));
            expect(unknownId.result).toEqual({ ok: false, reason: "unknown" });
            expect(unknownId.storeCalls).toEqual(["findById"]);
            expect(knownId).toEqual(unknownId);
            expect(revokedId).toEqual(unknownId);
          }),
          { numRuns: fuzzRuns(0.25) },
        );
        // Every pepper hashes the presented secret: one digest (SHA-256) or two (HMAC) each.
        const expected = pepper === undefined ? 1 : Array.isArray(pepper) ? 2 * pepper.length : 2;
        expect((await trace(withOtherSecret(live.secret, "0".repeat(43)))).digests).toBe(expected);
      },
      fuzzTimeout(),
    );
  }

  it("the control: the counter sees hashing, and the right secret verifies", async () => {
    const { tokens } = createHarness({ pepper: "p" });
    const created = await tokens.create(
      { owner: aliceOwner, name: "live", permissions: ["REPO_READ"] },
      alice,
    );
    const before = digests;
    expect((await tokens.verifyToken(created.secret)).ok).toBe(true);
    expect(digests - before).toBe(2);
  });
});
