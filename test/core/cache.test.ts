import { createAccessTokens, DAY_MS, type TokenStore, ValidationError } from "patkit";
import { createMemoryStore } from "patkit/memory";
import type { TokenRecord, Unwatch } from "patkit/store";
import { describe, expect, it } from "vitest";
import { countingStore } from "../support/counting-store.js";
import { alice, aliceOwner, createHarness } from "../support/host.js";
import {
  formatToken,
  ID_LENGTH,
  SECRET_LENGTH,
  withOtherSecret,
} from "../support/token-strings.js";

const cache = { ttlMs: 30_000, maxEntries: 100 };
const readToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] } as const;

/** Two instances (A and B) over one store, each with its own cache. */
function twoInstances(store: TokenStore = createMemoryStore()) {
  const a = createHarness({ store, cache });
  const counting = countingStore(store);
  const b = createHarness({ store: counting.store, cache, clock: a.clock });
  return { a: a.tokens, b: b.tokens, clock: a.clock, counting, store };
}

describe("verification cache", () => {
  it("serves repeated verifies from memory: one store lookup for many verifies", async () => {
    const { tokens, counting } = createHarness({ cache });
    const { secret } = await tokens.create(readToken, alice);
    for (let i = 0; i < 10; i++) expect((await tokens.verifyToken(secret)).ok).toBe(true);
    expect(counting.count("findById")).toBe(1);
  });

  it("still checks the secret against the cached hash", async () => {
    const { tokens } = createHarness({ cache });
    const { secret } = await tokens.create(readToken, alice);
    await tokens.verifyToken(secret);
    const forged = withOtherSecret(secret, "s".repeat(SECRET_LENGTH));
    expect(await tokens.verifyToken(forged)).toEqual({ ok: false, reason: "unknown" });
  });

  it("applies a revoke or an edit through the same instance at once", async () => {
    const { tokens } = createHarness({ cache });
    const { token, secret } = await tokens.create(readToken, alice);
    await tokens.verifyToken(secret);
    await tokens.update(token.id, { permissions: ["REPO_WRITE"] }, alice);
    const verified = await tokens.verifyToken(secret);
    expect(verified.ok && verified.token.permissions).toEqual(["REPO_WRITE"]);
    await tokens.revoke(token.id, alice);
    expect(await tokens.verifyToken(secret)).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("hears of a revoke on another instance through the store's watch", async () => {
    const { a, b } = twoInstances();
    const { token, secret } = await a.create(readToken, alice);
    expect((await b.verifyToken(secret)).ok).toBe(true); // B caches it
    await a.revoke(token.id, alice);
    expect(await b.verifyToken(secret)).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("without a change feed, bounds staleness by ttlMs", async () => {
    const memory = createMemoryStore();
    const { watch: _, ...withoutWatch } = Object.getOwnPropertyDescriptors(memory);
    const store = Object.defineProperties({}, withoutWatch) as TokenStore;
    const { a, b, clock } = twoInstances(store);
    const { token, secret } = await a.create(readToken, alice);
    expect((await b.verifyToken(secret)).ok).toBe(true);
    await a.revoke(token.id, alice);
    clock.advance(cache.ttlMs - 1);
    expect((await b.verifyToken(secret)).ok).toBe(true); // the documented window
    clock.advance(1);
    expect(await b.verifyToken(secret)).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("never caches a miss: a token created on another instance verifies at once", async () => {
    const { a, b } = twoInstances();
    expect(
      (await b.verifyToken(formatToken("pat", "i".repeat(ID_LENGTH), "s".repeat(SECRET_LENGTH))))
        .ok,
    ).toBe(false);
    const { secret } = await a.create(readToken, alice);
    expect((await b.verifyToken(secret)).ok).toBe(true);
  });

  it("drops the least recently used entries beyond maxEntries", async () => {
    const { tokens, counting } = createHarness({ cache: { ttlMs: 60_000, maxEntries: 2 } });
    const secrets = [];
    for (let i = 0; i < 3; i++)
      secrets.push((await tokens.create({ ...readToken, name: `t${i}` }, alice)).secret);
    const [s0, s1, s2] = secrets as [string, string, string];
    await tokens.verifyToken(s0);
    await tokens.verifyToken(s1);
    await tokens.verifyToken(s0); // s0 is now the most recent
    await tokens.verifyToken(s2); // evicts s1
    const lookups = counting.count("findById");
    await tokens.verifyToken(s0);
    await tokens.verifyToken(s2);
    expect(counting.count("findById")).toBe(lookups);
    await tokens.verifyToken(s1);
    expect(counting.count("findById")).toBe(lookups + 1);
  });

  it("does not cache a record read before a change that lands during the read", async () => {
    const memory = createMemoryStore();
    let release: (() => void) | undefined;
    const slow: TokenStore = Object.assign(Object.create(null), memory, {
      findById(id: string): Promise<TokenRecord | null> {
        const record = memory.findById(id);
        return new Promise((resolve) => {
          release = () => resolve(record);
        });
      },
      watch: memory.watch,
    });
    const a = createHarness({ store: memory });
    const b = createAccessTokens({ store: slow, cache, clock: a.clock, access: a.host.access });
    const { token, secret } = await a.tokens.create(readToken, alice);
    const pending = b.verifyToken(secret); // reads the live record, then waits
    await new Promise((resolve) => setTimeout(resolve, 0));
    await a.tokens.revoke(token.id, alice); // B hears of it while its read is in flight
    release?.();
    expect((await pending).ok).toBe(true); // it began before the revoke
    const after = b.verifyToken(secret);
    await new Promise((resolve) => setTimeout(resolve, 0));
    release?.();
    expect(await after).toMatchObject({ ok: false, reason: "revoked" });
    await b.close();
  });

  it("flushes everything when the store reports that anything may have changed", async () => {
    const memory = createMemoryStore();
    let notify: ((change: { kind: "all" }) => void) | undefined;
    const store: TokenStore = Object.assign(Object.create(null), memory, {
      findById: memory.findById,
      watch(listener: (change: { kind: "all" }) => void) {
        notify = listener;
        return () => {};
      },
    });
    const counting = countingStore(store);
    const { tokens } = createHarness({ store: counting.store, cache });
    const { secret } = await tokens.create(readToken, alice);
    await tokens.verifyToken(secret);
    await tokens.verifyToken(secret);
    expect(counting.count("findById")).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    notify?.({ kind: "all" });
    await tokens.verifyToken(secret);
    expect(counting.count("findById")).toBe(2);
  });

  it("stops watching on close, and serves nothing from memory after it", async () => {
    const inner = createMemoryStore();
    let subscriptions = 0;
    const store: TokenStore = {
      ...inner,
      watch(listener) {
        subscriptions++;
        const stop = inner.watch?.(listener) as Unwatch;
        return () => {
          subscriptions--;
          return stop();
        };
      },
    };
    const { a, b } = twoInstances(store);
    expect(subscriptions).toBe(2);
    const { token, secret } = await a.create(readToken, alice);
    await b.verifyToken(secret);
    await b.close();
    expect(subscriptions).toBe(1);
    await a.revoke(token.id, alice);
    // B hears of no change any more, so it reads the store.
    expect(await b.verifyToken(secret)).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("rejects invalid cache options naming the field", () => {
    const store = createMemoryStore();
    const access = { hasPermission: () => true, isSystemAdmin: () => false };
    const bad = (options: unknown) => {
      try {
        createAccessTokens({ store, access, cache: options as never });
      } catch (error) {
        return (error as ValidationError).fields;
      }
      return [];
    };
    expect(bad({ ttlMs: 0, maxEntries: 10 })).toEqual(["cache.ttlMs"]);
    expect(bad({ ttlMs: 1000, maxEntries: 0.5 })).toEqual(["cache.maxEntries"]);
    expect(bad({ ttlMs: 1000, maxEntries: 1, watchRetryDelayMs: 0 })).toEqual([
      "cache.watchRetryDelayMs",
    ]);
    expect(bad({ ttlMs: 1000, maxEntries: 1, maxWatchRetryDelayMs: -1 })).toEqual([
      "cache.maxWatchRetryDelayMs",
    ]);
    expect(() =>
      createAccessTokens({ store, access, cache: { ttlMs: 5, maxEntries: 1 } }),
    ).not.toThrow(ValidationError);
  });
});

describe("verification cache isolation", () => {
  it("hands out dates that cannot move a cached expiry", async () => {
    const { tokens, clock } = createHarness({ cache });
    const { secret } = await tokens.create({ ...readToken, expiryDays: 1 }, alice);
    const first = await tokens.verifyToken(secret);
    if (!first.ok) throw new Error("expected a valid token");
    // A Date cannot be frozen: only a copy keeps this away from the cached record.
    first.token.expiresAt?.setTime(Date.UTC(2100, 0, 1));
    first.token.createdAt.setTime(0);
    clock.advance(DAY_MS);
    expect(await tokens.verifyToken(secret)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("hands out results that cannot reach into the cache", async () => {
    const { tokens } = createHarness({ cache });
    const { secret } = await tokens.create(readToken, alice);
    const first = await tokens.verifyToken(secret);
    if (!first.ok) throw new Error("expected a valid token");
    (first.principal.permissions as string[]).push("REPO_ADMIN");
    (first.token.permissions as string[]).push("REPO_ADMIN");
    (first.principal as { userId: string }).userId = "mallory";
    const second = await tokens.verifyToken(secret, {
      permission: "REPO_ADMIN",
      projectId: "P",
      repositoryId: "R",
    });
    expect(second).toMatchObject({ ok: false, reason: "insufficient_permission" });
    const third = await tokens.verifyToken(secret);
    expect(third.ok && third.principal).toMatchObject({
      userId: "alice",
      permissions: ["REPO_READ"],
    });
  });
});
