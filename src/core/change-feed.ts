import type { RecordLookup } from "./record-lookup.js";
import type { StoreChange, TokenStore, Unwatch } from "./store.js";
import type { Awaitable } from "./types.js";

/** How the change feed of a cached instance is kept up. */
export interface ChangeFeedOptions {
  readonly store: TokenStore;
  /** Told of every change the feed reports, and whether its cache may be trusted. */
  readonly lookup: RecordLookup;
  /** Receives each failed attempt to watch the store. */
  readonly report: (error: unknown) => void;
  /** The wait before the first retry, doubled after each failure. */
  readonly retryDelayMs: number;
  /** The longest wait between two attempts. */
  readonly maxRetryDelayMs: number;
}

/** A running change feed. */
export interface ChangeFeed {
  /** Stops retrying and stops watching; the cache is not trusted afterwards. */
  close(): Promise<void>;
}

/** The default wait before retrying a failed watch: as the PostgreSQL LISTEN reconnect. */
export const DEFAULT_WATCH_RETRY_DELAY_MS = 100;
/** The default longest wait between two attempts to watch. */
export const DEFAULT_MAX_WATCH_RETRY_DELAY_MS = 30_000;

/**
 * Subscribes a verification cache to the store's change feed. A store without `watch` leaves
 * the cache to its TTL, as documented. With `watch`, the cache is bypassed until the feed is
 * up (another instance's revoke would go unheard), a failed watch is retried with backoff for
 * as long as the instance lives, and the cache starts empty once the feed is up.
 */
export function startChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { store, lookup, report } = options;
  if (store.watch === undefined) return { close: async () => {} };
  const watch = store.watch.bind(store);

  const listener = (change: StoreChange) => {
    if (change.kind === "token") lookup.changed(change.id);
    else lookup.changedAll();
  };
  let closed = false;
  let unwatch: Unwatch | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;

  function up(stop: Unwatch): void {
    unwatch = stop;
    lookup.trustCache(true);
  }

  function failed(error: unknown): void {
    report(error);
    const delay = Math.min(options.maxRetryDelayMs, options.retryDelayMs * 2 ** attempt);
    attempt++;
    timer = setTimeout(() => {
      timer = null;
      if (!closed) tryWatch();
    }, delay);
    // A pending retry alone does not keep a Node process alive.
    (timer as { unref?: () => void }).unref?.();
  }

  function tryWatch(): void {
    let result: Awaitable<Unwatch>;
    try {
      result = watch(listener);
    } catch (error) {
      failed(error);
      return;
    }
    if (!(result instanceof Promise)) {
      up(result); // a store that watches synchronously: up before the first lookup
      return;
    }
    inFlight = result.then(
      (stop) => {
        inFlight = null;
        // Closed while connecting: let go at once.
        if (closed) return Promise.resolve(stop()).then(undefined, report);
        up(stop);
      },
      (error: unknown) => {
        inFlight = null;
        if (!closed) failed(error);
      },
    );
  }

  lookup.trustCache(false);
  tryWatch();

  return {
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      lookup.trustCache(false);
      await inFlight;
      const stop = unwatch;
      unwatch = null;
      await stop?.();
    },
  };
}
