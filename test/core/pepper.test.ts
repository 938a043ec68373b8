import { createAccessTokens, type TokenStore, ValidationError } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { countingStore } from "../support/counting-store.js";
import { alice, aliceOwner, createHarness } from "../support/host.js";

const readToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] } as const;

describe("peppers", () => {
  it("moves a deployment from no pepper to a pepper with null as the earlier entry", async () => {
    const before = createHarness();
    const { token, secret } = await before.tokens.create(readToken, alice);
    const hashBefore = before.store.findById(token.id)?.secretHash;

    const after = createHarness({
      store: before.store,
      pepper: ["a-new-pepper-of-some-length", null],
    });
    expect((await after.tokens.verifyToken(secret)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(before.store.findById(token.id)?.secretHash).not.toEqual(hashBefore); // re-hashed

    const peppered = createHarness({ store: before.store, pepper: "a-new-pepper-of-some-length" });
    expect((await peppered.tokens.verifyToken(secret)).ok).toBe(true);
    expect((await before.tokens.verifyToken(secret)).ok).toBe(false); // no pepper no longer matches
  });

  it("refuses null as the current pepper, and empty peppers, naming the entry", () => {
    const store = createMemoryStore();
    const access = { hasPermission: () => true, isSystemAdmin: () => false };
    const fields = (pepper: unknown) => {
      try {
        createAccessTokens({ store, access, pepper: pepper as never });
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).fields;
      }
    };
    expect(fields([null, "old"])).toEqual(["pepper.0"]);
    expect(fields(["new", ""])).toEqual(["pepper.1"]);
    expect(fields("")).toEqual(["pepper"]);
    expect(fields([])).toEqual(["pepper"]);
  });
});

describe("peppers with the verification cache", () => {
  it("re-hashes once: the cached record with the old hash is dropped after the write", async () => {
    const before = createHarness({ pepper: "old-pepper" });
    const { secret } = await before.tokens.create(readToken, alice);
    // A store without a change feed: this instance must drop its own cached entry itself.
    const { watch: _, ...withoutWatch } = Object.getOwnPropertyDescriptors(before.store);
    const counting = countingStore(Object.defineProperties({}, withoutWatch) as TokenStore);
    const after = createHarness({
      store: counting.store,
      pepper: ["new-pepper", "old-pepper"],
      cache: { ttlMs: 60_000, maxEntries: 10 },
    });
    for (let i = 0; i < 3; i++) {
      expect((await after.tokens.verifyToken(secret)).ok).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(counting.count("updateIfVersion")).toBe(1);
    expect(counting.count("findById")).toBe(2); // first read, then the re-hashed record
  });
});
