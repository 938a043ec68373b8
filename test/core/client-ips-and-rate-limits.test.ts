import { ValidationError } from "patkit";
import { afterEach, describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, type Harness } from "../support/host.js";
import { harnessPerTest } from "../support/per-test.js";
import { useStoreTargets } from "../support/stores.js";

const MINUTE = 60_000;
const targets = useStoreTargets("client_ips");

for (const target of targets) {
  describe(`lastUsedIps (${target.name})`, () => {
    const harness = harnessPerTest(target);

    it("records normalised addresses with the batched write: 5 at most, latest first", async () => {
      const { tokens, clock, counting } = harness;
      const { token, secret } = await tokens.create(
        { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      const seen = ["192.0.2.1", "::ffff:192.0.2.2", "2001:DB8::3", "192.0.2.4", "192.0.2.5"];
      for (const clientIp of [...seen, "192.0.2.6", "192.0.2.1"]) {
        await tokens.verifyToken(secret, null, { clientIp });
        await tokens.flush();
        clock.advance(MINUTE);
      }
      const view = await tokens.get(token.id, alice);
      expect(view.lastUsedIps).toEqual([
        "192.0.2.1",
        "192.0.2.6",
        "192.0.2.5",
        "192.0.2.4",
        "2001:db8::3",
      ]);
      expect(counting.count("touchLastAuthenticated")).toBe(7);
    });

    it("writes no more often than before, ignores garbage, and goes with the user's data", async () => {
      const { tokens, counting, clock } = harness;
      const { token, secret } = await tokens.create(
        { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      await tokens.authenticate(`Bearer ${secret}`, null, { clientIp: "not an address" });
      await tokens.verifyToken(secret, null, { clientIp: "192.0.2.9" });
      await tokens.flush();
      expect(counting.count("touchLastAuthenticated")).toBe(1);
      expect((await tokens.get(token.id, alice)).lastUsedIps).toEqual([]);
      clock.advance(MINUTE);
      await tokens.authenticate(`Bearer ${secret}`, null, { clientIp: "192.0.2.9" });
      await tokens.flush();
      const exported = await tokens.exportUser("alice", alice);
      expect(exported.personalTokens[0]?.lastUsedIps).toEqual(["192.0.2.9"]);
      await tokens.eraseUser("alice", { pseudonym: "erased-1" }, { userId: "root" });
      expect(JSON.stringify(await tokens.list({}, { userId: "root" }))).not.toContain("192.0.2.9");
    });
  });
}

describe("rateLimit", () => {
  let harness: Harness;
  afterEach(async () => {
    await harness.tokens.close();
  });

  async function tokenWithLimit(capacity: number, refillPerSecond: number) {
    harness = createHarness({ rateLimit: { capacity, refillPerSecond } });
    return harness.tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
  }

  it("lets a burst of capacity through, then answers rate_limited with retryAfterMs", async () => {
    const { secret, token } = await tokenWithLimit(3, 0.5);
    const { tokens, clock } = harness;
    for (let i = 0; i < 3; i++) expect((await tokens.verifyToken(secret)).ok).toBe(true);
    expect(await tokens.verifyToken(secret)).toEqual({
      ok: false,
      reason: "rate_limited",
      tokenId: token.id,
      retryAfterMs: 2000,
    });
    clock.advance(1999);
    expect((await tokens.verifyToken(secret)).ok).toBe(false);
    clock.advance(1);
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    expect(await tokens.authenticate(`Bearer ${secret}`)).toMatchObject({ reason: "rate_limited" });
  });

  it("keeps a bucket per token, and invalid tokens consume nothing", async () => {
    const { secret } = await tokenWithLimit(1, 1);
    const { tokens } = harness;
    const other = await tokens.create(
      { owner: aliceOwner, name: "other", permissions: ["REPO_READ"] },
      alice,
    );
    await tokens.revoke(other.token.id, alice);
    for (let i = 0; i < 5; i++) {
      expect(await tokens.verifyToken(other.secret)).toMatchObject({ reason: "revoked" });
      await tokens.verifyToken("pat_garbage");
    }
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    expect((await tokens.verifyToken(secret)).ok).toBe(false);
  });

  it("is checked as an option", () => {
    for (const rateLimit of [
      { capacity: 0, refillPerSecond: 1 },
      { capacity: 1.5, refillPerSecond: 1 },
      { capacity: 1, refillPerSecond: 0 },
      { capacity: 1 },
      { capacity: 1, refillPerSecond: 1, burst: 2 },
      "10/s",
    ]) {
      expect(
        () => createHarness({ rateLimit: rateLimit as never }),
        JSON.stringify(rateLimit),
      ).toThrow(ValidationError);
    }
  });

  it("takes a shared limiter with rate-limiter-flexible's consume", async () => {
    const keys: string[] = [];
    let allow = true;
    harness = createHarness({
      rateLimit: {
        consume(key: string) {
          keys.push(key);
          return allow ? Promise.resolve({}) : Promise.reject({ msBeforeNext: 1234.5 });
        },
      },
    });
    const { token, secret } = await harness.tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect((await harness.tokens.verifyToken(secret)).ok).toBe(true);
    allow = false;
    expect(await harness.tokens.verifyToken(secret)).toMatchObject({
      reason: "rate_limited",
      retryAfterMs: 1235,
    });
    await harness.tokens.verifyToken("pat_garbage");
    expect(keys).toEqual([token.id, token.id]);
  });
});
