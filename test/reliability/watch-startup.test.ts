import type { AccessTokens, TokenStore } from "patkit";
import { createPostgresStore, migrate } from "patkit/postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { faultyStore } from "../support/faulty-store.js";
import { alice, aliceOwner, createHarness, type Harness } from "../support/host.js";
import { createPool, DATABASE_URL, uniqueSchema, useStoreTargets } from "../support/stores.js";

// An instance that boots while its store cannot watch (the database briefly unreachable) must
// not keep a cache that hears of no change from other instances: it reads the store until the
// feed is up, retries the watch until it is, and then hears of other instances' changes.
const targets = useStoreTargets("watch_startup");
const cache = {
  ttlMs: 3_600_000,
  maxEntries: 100,
  watchRetryDelayMs: 10,
  maxWatchRetryDelayMs: 50,
};
const readToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] } as const;

/** Whether the watch is up on A: a second verify in a row is served from memory. */
async function servedFromMemory(a: Harness, secret: string): Promise<void> {
  await a.tokens.verifyToken(secret);
  const before = a.counting.count("findById");
  await a.tokens.verifyToken(secret);
  expect(a.counting.count("findById")).toBe(before);
}

async function expectRevoked(tokens: AccessTokens, secret: string): Promise<void> {
  expect(await tokens.verifyToken(secret)).toMatchObject({ ok: false, reason: "revoked" });
}

/**
 * Instance A (cached) over `watched`, whose watch fails while `blocked`; instance B, without a
 * cache, over `plain`, the same tables. While A's feed is down, A reads the store on every
 * verify and keeps retrying; once the feed is up, B's revoke reaches A within two seconds.
 */
async function bootWithoutFeed(
  watched: TokenStore,
  plain: TokenStore,
  feed: { block(): void; unblock(): void },
): Promise<void> {
  feed.block();
  const a = createHarness({ store: watched, cache });
  const b = createHarness({ store: plain, clock: a.clock });
  try {
    const first = await b.tokens.create(readToken, alice);
    const reads = a.counting.count("findById");
    expect((await a.tokens.verifyToken(first.secret)).ok).toBe(true);
    expect((await a.tokens.verifyToken(first.secret)).ok).toBe(true);
    expect(a.counting.count("findById")).toBe(reads + 2); // nothing served from memory
    await b.tokens.revoke(first.token.id, alice);
    await expectRevoked(a.tokens, first.secret);

    // Retried: more than one failure reaches onError, and still nothing comes from memory.
    await vi.waitFor(() => expect(a.errors.length).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    for (const { context } of a.errors) expect(context.source).toBe("watch");
    await expectRevoked(a.tokens, first.secret);

    feed.unblock();
    const second = await b.tokens.create(readToken, alice);
    await vi.waitFor(() => servedFromMemory(a, second.secret), { timeout: 5000, interval: 20 });
    await b.tokens.revoke(second.token.id, alice);
    await vi.waitFor(() => expectRevoked(a.tokens, second.secret), {
      timeout: 2000,
      interval: 20,
    });
  } finally {
    await Promise.all([a.tokens.close(), b.tokens.close()]);
  }
}

for (const target of targets) {
  describe(`a store that cannot watch at start-up, on the ${target.name}`, () => {
    it("is read on every verify until the watch is up, then its changes arrive", async () => {
      const opened = await target.open({ watch: true });
      try {
        const faults = faultyStore(opened.store);
        await bootWithoutFeed(faults.store, opened.store, {
          block: () => faults.failNext("watch", Number.POSITIVE_INFINITY),
          unblock: () => faults.heal(),
        });
      } finally {
        await opened.close();
      }
    });

    it("close() stops the retries", async () => {
      const opened = await target.open({ watch: true });
      try {
        const faults = faultyStore(opened.store);
        faults.failNext("watch", Number.POSITIVE_INFINITY);
        const a = createHarness({ store: faults.store, cache });
        await vi.waitFor(() => expect(a.counting.count("watch")).toBeGreaterThanOrEqual(2));
        await a.tokens.close();
        const attempts = a.counting.count("watch");
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(a.counting.count("watch")).toBe(attempts);
      } finally {
        await opened.close();
      }
    });
  });
}

describe.skipIf(!DATABASE_URL)("a LISTEN connection that cannot connect at start-up", () => {
  let pool: pg.Pool;
  let schema: string;

  beforeAll(async () => {
    pool = createPool({ application_name: "patkit-watch-startup", max: 4 });
    schema = uniqueSchema("watch_boot");
    await migrate(pool, { schema });
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });

  it("is retried until it connects; then another instance's revoke arrives", async () => {
    let refusing = true;
    const watched = createPostgresStore({
      client: pool,
      schema,
      listen: {
        connect: () =>
          refusing ? Promise.reject(new Error("connect ECONNREFUSED")) : pool.connect(),
        retryDelayMs: 20,
      },
    });
    await bootWithoutFeed(watched, createPostgresStore({ client: pool, schema }), {
      block: () => {
        refusing = true;
      },
      unblock: () => {
        refusing = false;
      },
    });
  });
});
