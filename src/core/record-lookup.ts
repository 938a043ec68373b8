import type { Clock } from "./clock.js";
import type { TokenRecord, TokenStore } from "./store.js";
import type { VerificationCache } from "./verification-cache.js";

/** How verification finds a record: through the cache when there is one, else the store. */
export interface RecordLookup {
  /**
   * The record with this id, or `null`; synchronous when the answer is at hand. It may be the
   * cache's own: read it, never hand its parts out (views copy them, see `toView`).
   */
  find(id: string): TokenRecord | null | Promise<TokenRecord | null>;
  /** Forgets what is known of one token (it changed). */
  changed(id: string): void;
  /** Forgets everything (anything may have changed). */
  changedAll(): void;
  /**
   * Whether cached entries may be served. While the store's change feed is not up, changes made
   * through other instances would go unheard, so every lookup goes to the store and nothing is
   * cached; trusting again starts from an empty cache. Without a cache this does nothing.
   */
  trustCache(trusted: boolean): void;
}

/** A lookup straight to the store, or through `cache` when given. */
export function createRecordLookup(
  store: TokenStore,
  clock: Clock,
  cache?: VerificationCache,
): RecordLookup {
  if (cache === undefined) {
    return {
      find: (id) => store.findById(id),
      changed: () => {},
      changedAll: () => {},
      trustCache: () => {},
    };
  }
  let trusted = true;
  return {
    find(id) {
      if (!trusted) return store.findById(id);
      const nowMs = clock.now().getTime();
      const hit = cache.get(id, nowMs);
      if (hit !== undefined) return hit;
      const readSince = cache.generation;
      const found = store.findById(id);
      if (!(found instanceof Promise)) {
        if (found !== null) cache.set(found, nowMs, readSince);
        return found;
      }
      return found.then((record) => {
        if (record !== null) cache.set(record, nowMs, readSince);
        return record;
      });
    },
    changed: (id) => cache.invalidate(id),
    changedAll: () => cache.clear(),
    trustCache(next) {
      // Also bumps the generation: a read that began before the feed was up fills nothing.
      cache.clear();
      trusted = next;
    },
  };
}
