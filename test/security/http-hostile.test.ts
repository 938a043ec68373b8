import fc from "fast-check";
import { parseAuthorization as coreParse } from "patkit";
import { authenticateHeader, type HttpRejection, parseAuthorization } from "patkit/http";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { anyValue, hostileString, nearMiss, unissuedToken } from "../support/arbitraries.js";
import { faultyStore } from "../support/faulty-store.js";
import { FUZZ_RUNS, fuzzTimeout } from "../support/fuzz.js";
import { alice, aliceOwner, createHarness, projectP } from "../support/host.js";
import { findLeaks, secretNeedles } from "../support/secrets.js";

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;

async function fixture() {
  const faults = faultyStore(createMemoryStore());
  const harness = createHarness({ store: faults.store });
  const personal = await harness.tokens.create(
    { owner: aliceOwner, name: "personal", permissions: ["REPO_READ"] },
    alice,
  );
  const project = await harness.tokens.create(
    { owner: projectP, name: "project", permissions: ["REPO_WRITE"] },
    alice,
  );
  const revoked = await harness.tokens.create(
    { owner: aliceOwner, name: "revoked", permissions: ["REPO_READ"] },
    alice,
  );
  await harness.tokens.revoke(revoked.token.id, alice);
  const live = [personal.secret, project.secret];
  const issued = [...live, revoked.secret];
  return { faults, harness, live, issued };
}

function headers(issued: readonly string[]): fc.Arbitrary<string> {
  const credential = fc.oneof(
    hostileString(),
    nearMiss(issued),
    unissuedToken(),
    fc.constantFrom(...issued),
  );
  return fc.oneof(
    hostileString(),
    credential.map((token) => `Bearer ${token}`),
    credential.map((token) => basic("alice", token)),
    fc.tuple(hostileString(), credential).map(([user, token]) => basic(user, token)),
    fc
      .tuple(
        fc.constantFrom("Bearer", "Basic", "Digest", "bearer"),
        fc.constantFrom(" ", "\t", "  "),
        credential,
      )
      .map((parts) => parts.join("")),
  );
}

describe("patkit/http on hostile headers", () => {
  it("re-exports the core's parseAuthorization", () => {
    expect(parseAuthorization).toBe(coreParse);
  });

  it(
    "authenticateHeader always answers, accepts only live tokens, and echoes no credential",
    async () => {
      const { harness, live, issued } = await fixture();
      const rejected: HttpRejection[] = [];
      const needles = issued.flatMap((token) => secretNeedles(token));
      await fc.assert(
        fc.asyncProperty(
          headers(issued),
          fc.constantFrom(null, { permission: "REPO_READ", projectId: "P" } as const),
          async (header, requirement) => {
            const outcome = await authenticateHeader(harness.tokens, header, requirement, {
              basicChallenge: true,
              onReject: (rejection) => {
                rejected.push(rejection);
              },
            });
            const parsed = parseAuthorization(header);
            const credential = parsed.ok
              ? parsed.scheme === "bearer"
                ? parsed.token
                : parsed.password
              : null;
            if (outcome.ok) {
              expect(live).toContain(credential);
              return;
            }
            expect([400, 401, 403]).toContain(outcome.status);
            expect(findLeaks(needles, [outcome])).toEqual([]);
            // Whatever the client sent, the answer does not repeat it.
            if (credential !== null && credential.length >= 16)
              expect(JSON.stringify(outcome)).not.toContain(credential);
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
      expect(findLeaks(needles, rejected)).toEqual([]);
    },
    fuzzTimeout(),
  );

  it(
    "a non-string header is a missing credential, never an exception",
    async () => {
      const { harness } = await fixture();
      await fc.assert(
        fc.asyncProperty(anyValue(), async (value) => {
          fc.pre(typeof value !== "string");
          const outcome = await authenticateHeader(harness.tokens, value as string, null);
          expect(outcome).toMatchObject({ ok: false, status: 401, reason: "missing_credentials" });
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it("with the store down, a live token gets 503 (fails closed), and the rejection holds no secret", async () => {
    const { faults, harness, live, issued } = await fixture();
    const needles = issued.flatMap((token) => secretNeedles(token));
    faults.failAll();
    for (const token of live) {
      for (const header of [`Bearer ${token}`, basic("alice", token)]) {
        const outcome = await authenticateHeader(harness.tokens, header, null);
        expect(outcome).toMatchObject({ ok: false, status: 503, reason: "store_unavailable" });
        expect(findLeaks(needles, [outcome])).toEqual([]);
      }
    }
    faults.heal();
    expect(await authenticateHeader(harness.tokens, `Bearer ${live[0]}`, null)).toMatchObject({
      ok: true,
    });
  });
});
