import { StoreUnavailableError } from "patkit";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, type Harness } from "../../support/host.js";
import { createPool, DATABASE_URL, uniqueSchema } from "./support.js";

// rate-limiter-flexible's PostgreSQL store as patkit's shared limiter: the documented setup,
// against a real server (it counts in its own table, on the server's clock).
describe.skipIf(!DATABASE_URL)("rateLimit with rate-limiter-flexible on PostgreSQL", () => {
  let pool: ReturnType<typeof createPool>;
  let tableName: string;
  let harness: Harness;

  async function limiter(points: number): Promise<RateLimiterPostgres> {
    return new Promise((resolve, reject) => {
      const created: RateLimiterPostgres = new RateLimiterPostgres(
        { storeClient: pool, tableName, points, duration: 60, keyPrefix: "patkit" },
        (error?: unknown) => (error ? reject(error) : resolve(created)),
      );
    });
  }

  beforeEach(() => {
    pool = createPool();
    tableName = uniqueSchema("rlf");
  });

  afterEach(async () => {
    await harness?.tokens.close();
    await pool.query(`DROP TABLE IF EXISTS "${tableName}"`).catch(() => {});
    await pool.end().catch(() => {});
  });

  it("limits each token across instances sharing the table", async () => {
    const shared = await limiter(2);
    harness = createHarness({ rateLimit: shared });
    const second = createHarness({ rateLimit: await limiter(2), store: harness.store });
    const { token, secret } = await harness.tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect((await harness.tokens.verifyToken(secret)).ok).toBe(true);
    expect((await second.tokens.verifyToken(secret)).ok).toBe(true);
    const limited = await harness.tokens.verifyToken(secret);
    expect(limited).toMatchObject({ ok: false, reason: "rate_limited", tokenId: token.id });
    expect(limited.ok === false && limited.retryAfterMs).toBeGreaterThan(50_000);
    expect(await second.tokens.verifyToken(secret)).toMatchObject({ reason: "rate_limited" });
    // Invalid tokens consume nothing: another token still has its whole budget.
    const other = await harness.tokens.create(
      { owner: aliceOwner, name: "other", permissions: ["REPO_READ"] },
      alice,
    );
    await harness.tokens.verifyToken("pat_garbage");
    expect((await harness.tokens.verifyToken(other.secret)).ok).toBe(true);
    await second.tokens.close();
  });

  it("fails closed when the limiter's store is down", async () => {
    const shared = await limiter(5);
    harness = createHarness({ rateLimit: shared });
    const { secret } = await harness.tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    await pool.end();
    await expect(harness.tokens.verifyToken(secret)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
