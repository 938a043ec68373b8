import {
  type AccessTokens,
  type Requirement,
  StoreUnavailableError,
  type TokenStore,
} from "patkit";
import { createPostgresStore, migrate } from "patkit/postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_METHODS } from "../support/counting-store.js";
import { type FaultyStore, faultyStore } from "../support/faulty-store.js";
import { alice, aliceOwner, createHarness } from "../support/host.js";
import {
  createPool,
  createPoolThrough,
  DATABASE_URL,
  type StoreTarget,
  serverAddress,
  uniqueSchema,
  useStoreTargets,
} from "../support/stores.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

// A write that commits and whose answer is lost must not leave this instance's cache serving
// the record from before it: not after the failed call, and not after its retry, which finds
// the change already made and has nothing left to write.
const targets = useStoreTargets("lost_answers");
// Long enough that only an invalidation, never the TTL, can end a stale entry in these tests.
const cache = { ttlMs: 3_600_000, maxEntries: 100 };
const writeToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_WRITE"] } as const;
const toWrite: Requirement = { permission: "REPO_WRITE", projectId: "P", repositoryId: "R1" };

/** The same store without `watch`: another instance's changes reach no cache through it. */
function withoutFeed(store: TokenStore): TokenStore {
  const wrapper: Record<string, unknown> = {};
  for (const method of STORE_METHODS) {
    const original = store[method] as ((...args: unknown[]) => unknown) | undefined;
    if (method !== "watch" && typeof original === "function")
      wrapper[method] = original.bind(store);
  }
  return wrapper as unknown as TokenStore;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
}

/** A token created and verified once, so this instance's cache holds its record. */
async function cachedToken(tokens: AccessTokens) {
  const { token, secret } = await tokens.create(writeToken, alice);
  expect((await tokens.verifyToken(secret, toWrite)).ok).toBe(true);
  return { id: token.id, secret };
}

const revoked = { ok: false, reason: "revoked" };
const refused = { ok: false, reason: "insufficient_permission" };
const downgrade = { permissions: ["REPO_READ" as const] };

/**
 * Makes `change` to a cached token with `loseAnswer` armed (the write commits, its answer is
 * lost) and expects the call to fail as the store being unavailable.
 */
async function changeLosingTheAnswer(
  tokens: AccessTokens,
  loseAnswer: () => unknown,
  change: (id: string) => Promise<unknown>,
): Promise<{ id: string; secret: string }> {
  const cached = await cachedToken(tokens);
  const lost = loseAnswer();
  expect(await rejection(change(cached.id))).toBeInstanceOf(StoreUnavailableError);
  await lost;
  return cached;
}

/**
 * A revoke whose answer is lost: this instance refuses the token at once and after the retry.
 * `committed` reads the database some other way, to show the write did take effect.
 */
async function revokeLosingTheAnswer(
  tokens: AccessTokens,
  committed: TokenStore,
  loseAnswer: () => unknown,
): Promise<void> {
  const revoke = (id: string) => tokens.revoke(id, alice);
  const { id, secret } = await changeLosingTheAnswer(tokens, loseAnswer, revoke);
  expect((await committed.findById(id))?.revokedAt).not.toBeNull();
  expect(await tokens.verifyToken(secret)).toMatchObject(revoked);
  expect((await revoke(id)).status).toBe("revoked");
  expect(await tokens.verifyToken(secret)).toMatchObject(revoked);
}

/** The same for a downgrade from REPO_WRITE to REPO_READ: the old permission must be gone. */
async function downgradeLosingTheAnswer(
  tokens: AccessTokens,
  committed: TokenStore,
  loseAnswer: () => unknown,
): Promise<void> {
  const update = (id: string) => tokens.update(id, downgrade, alice);
  const { id, secret } = await changeLosingTheAnswer(tokens, loseAnswer, update);
  expect((await committed.findById(id))?.permissions).toEqual(["REPO_READ"]);
  expect(await tokens.verifyToken(secret, toWrite)).toMatchObject(refused);
  expect((await update(id)).permissions).toEqual(["REPO_READ"]);
  expect(await tokens.verifyToken(secret, toWrite)).toMatchObject(refused);
}

/**
 * Instances A and B on one fresh store with no change feed: a change B makes stands for the
 * first attempt of A's own write, which took effect while A never learned it.
 */
async function twoInstances(
  target: StoreTarget,
  run: (a: AccessTokens, b: AccessTokens) => Promise<void>,
): Promise<void> {
  const opened = await target.open();
  try {
    const store = withoutFeed(opened.store);
    const a = createHarness({ store, cache });
    const b = createHarness({ store, cache, clock: a.clock });
    await run(a.tokens, b.tokens);
    await Promise.all([a.tokens.close(), b.tokens.close()]);
  } finally {
    await opened.close();
  }
}

/** One instance on a fresh store whose writes can be made to fail after taking effect. */
async function faultyInstance(
  target: StoreTarget,
  run: (tokens: AccessTokens, faults: FaultyStore, inner: TokenStore) => Promise<void>,
): Promise<void> {
  const opened = await target.open();
  try {
    const faults = faultyStore(withoutFeed(opened.store));
    const { tokens } = createHarness({ store: faults.store, cache });
    await run(tokens, faults, opened.store);
    await tokens.close();
  } finally {
    await opened.close();
  }
}

for (const target of targets) {
  describe(`a write whose answer is lost, on the ${target.name}`, () => {
    it("a revoke that committed but failed: refused at once, and after the retry", () =>
      faultyInstance(target, (tokens, faults, inner) =>
        revokeLosingTheAnswer(tokens, inner, () => faults.failNext("revoke", 1, { when: "after" })),
      ));

    it("a downgrade that committed but failed: the old permission is gone at once, and after the retry", () =>
      faultyInstance(target, (tokens, faults, inner) =>
        downgradeLosingTheAnswer(tokens, inner, () =>
          faults.failNext("updateIfVersion", 1, { when: "after" }),
        ),
      ));

    it("a retried revoke that finds the token already revoked clears this instance's entry", () =>
      twoInstances(target, async (a, b) => {
        const { id, secret } = await cachedToken(a);
        await b.revoke(id, alice);
        expect((await a.verifyToken(secret)).ok).toBe(true); // stale until told, as documented
        expect((await a.revoke(id, alice)).status).toBe("revoked");
        expect(await a.verifyToken(secret)).toMatchObject(revoked);
      }));

    it("a retried downgrade that finds nothing left to change clears this instance's entry", () =>
      twoInstances(target, async (a, b) => {
        const { id, secret } = await cachedToken(a);
        await b.update(id, downgrade, alice);
        expect((await a.verifyToken(secret, toWrite)).ok).toBe(true); // stale until told
        await a.update(id, downgrade, alice);
        expect(await a.verifyToken(secret, toWrite)).toMatchObject(refused);
      }));
  });
}

describe.skipIf(!DATABASE_URL)("a real connection cut after the commit", () => {
  const applicationName = `patkit-lost-${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  let admin: pg.Pool;
  let proxy: TcpProxy;
  let app: pg.Pool;
  let schema: string;
  let observer: TokenStore;
  let tokens: AccessTokens;

  beforeAll(async () => {
    admin = createPool({ application_name: `${applicationName}-admin`, max: 2 });
    proxy = await startTcpProxy(serverAddress());
    app = createPoolThrough(proxy.port, { application_name: applicationName, max: 2 });
    schema = uniqueSchema("lost");
    await migrate(admin, { schema });
    // Reads the same tables over connections the proxy never cuts.
    observer = createPostgresStore({ client: admin, schema });
    tokens = createHarness({ store: createPostgresStore({ client: app, schema }), cache }).tokens;
  });
  afterAll(async () => {
    await tokens?.close();
    await app?.end();
    await proxy?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it("a revoke whose reply never arrives: this instance refuses the token, before and after the retry", () =>
    revokeLosingTheAnswer(tokens, observer, () => proxy.cutReplyTo("SET revoked_at")));

  it("a downgrade whose reply never arrives: the old permission is gone, before and after the retry", () =>
    downgradeLosingTheAnswer(tokens, observer, () => proxy.cutReplyTo("AND version = $2")));
});
