import { createAccessTokens, ValidationError } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { createHost } from "../support/host.js";

/** The fields a `createAccessTokens` call with these options is refused for (none: accepted). */
function refusedFields(options: Record<string, unknown>): string[] {
  try {
    createAccessTokens({ store: createMemoryStore(), access: createHost().access, ...options });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).fields;
  }
}

describe("createAccessTokens options", () => {
  it("refuses a misspelled option, naming it, instead of running without it", () => {
    expect(refusedFields({ peper: "a-pepper-of-some-length" })).toEqual(["peper"]);
    expect(refusedFields({ chache: {}, onEvents: () => {} })).toEqual(["chache", "onEvents"]);
  });

  it("names each field at fault, with a message for people", () => {
    expect(refusedFields({ store: {}, access: null })).toEqual([
      "store.insert",
      "store.findById",
      "store.list",
      "store.updateIfVersion",
      "store.revoke",
      "store.rotate",
      "store.touchLastAuthenticated",
      "store.getPolicy",
      "store.putPolicy",
      "store.purge",
      "access",
    ]);
    expect(refusedFields({ prefix: "Pat", cache: { ttlMs: 0, maxEntries: 1.5 } })).toEqual([
      "prefix",
      "cache.ttlMs",
      "cache.maxEntries",
    ]);
    expect(refusedFields({ lastAuthenticatedIntervalMs: -1, clock: {} })).toEqual([
      "clock.now",
      "lastAuthenticatedIntervalMs",
    ]);
    expect(refusedFields({ access: { ...createHost().access, projectOfRepository: "P" } })).toEqual(
      ["access.projectOfRepository"],
    );
    expect(() => createAccessTokens(undefined as never)).toThrow(/^options: Required$/);
  });

  it("takes class instances as stores and hosts, and every documented option", () => {
    class Access {
      hasPermission() {
        return true;
      }
      isSystemAdmin() {
        return false;
      }
    }
    const tokens = createAccessTokens({
      store: createMemoryStore(),
      access: new Access(),
      clock: { now: () => new Date() },
      pepper: ["a-pepper-of-some-length", null],
      prefix: "acme",
      onEvent: () => {},
      onError: () => {},
      lastAuthenticatedIntervalMs: 0,
      cache: { ttlMs: 1000, maxEntries: 10, watchRetryDelayMs: 50, maxWatchRetryDelayMs: 5000 },
      expiryNotices: { days: [7] },
      rateLimit: { capacity: 10, refillPerSecond: 0.5 },
    });
    expect(typeof tokens.verifyToken).toBe("function");
  });
});
