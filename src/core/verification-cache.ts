import type { TokenRecord } from "./store.js";

/** Options of the opt-in verification cache. */
export interface VerificationCacheOptions {
  /**
   * How long a verified record may be served from memory, in milliseconds. It bounds how stale
   * an entry can get when a change notification from another instance is lost.
   */
  readonly ttlMs: number;
  /** The most records kept; the least recently used go first. */
  readonly maxEntries: number;
  /**
   * The wait before retrying a failed `watch` of the store, doubled after each failure up to
   * `maxWatchRetryDelayMs`. Default 100 ms (as `patkit/postgres` reconnects a lost LISTEN).
   */
  readonly watchRetryDelayMs?: number;
  /** The longest wait between two attempts to watch the store; default 30 000 ms. */
  readonly maxWatchRetryDelayMs?: number;
}

interface Entry {
  readonly record: TokenRecord;
  readonly expiresAt: number;
}

/** The verification cache the core uses: a bounded LRU of records by id. */
export interface VerificationCache {
  /** The record cached for `id`, unless absent or past its TTL at `nowMs`. */
  get(id: string, nowMs: number): TokenRecord | undefined;
  /** Caches `record`, unless an invalidation happened since `readSince` (a `generation`). */
  set(record: TokenRecord, nowMs: number, readSince: number): void;
  invalidate(id: string): void;
  clear(): void;
  /** The current invalidation generation; pass it back to `set` for a read that began now. */
  readonly generation: number;
}

/**
 * A bounded LRU of stored token records (hashes, never secrets), keyed by token id. Only records
 * that exist are cached: a lookup that finds nothing is never remembered, so a token created on
 * another instance verifies at once. Revoked records may be cached: revocation is final.
 */
export function createVerificationCache(options: VerificationCacheOptions): VerificationCache {
  const entries = new Map<string, Entry>();
  // Bumped by every invalidation: a read that started before one must not fill the cache.
  let generation = 0;

  function get(id: string, nowMs: number): TokenRecord | undefined {
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    entries.delete(id);
    if (nowMs >= entry.expiresAt) return undefined;
    entries.set(id, entry); // most recently used last
    return entry.record;
  }

  function set(record: TokenRecord, nowMs: number, readSince: number): void {
    if (readSince !== generation) return;
    entries.delete(record.id);
    entries.set(record.id, { record, expiresAt: nowMs + options.ttlMs });
    if (entries.size > options.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  }

  function invalidate(id: string): void {
    generation++;
    entries.delete(id);
  }

  function clear(): void {
    generation++;
    entries.clear();
  }

  return {
    get,
    set,
    invalidate,
    clear,
    get generation() {
      return generation;
    },
  };
}
