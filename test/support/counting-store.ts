import type { TokenStore } from "patkit";
import { MAINTENANCE_STORE_METHODS, REQUIRED_STORE_METHODS } from "patkit/store";

/** The names of the methods of the storage port. */
export type StoreMethod = Exclude<keyof TokenStore, symbol>;

/** Every method a {@link TokenStore} may have, the optional `watch` included. */
export const STORE_METHODS: readonly StoreMethod[] = [
  ...REQUIRED_STORE_METHODS,
  ...MAINTENANCE_STORE_METHODS,
  "watch",
];

/** A store that counts and logs the calls it passes on, and can wait for the ones under way. */
export interface CountingStore {
  /** The wrapper to hand to `createAccessTokens`; the inner store does all the work. */
  readonly store: TokenStore;
  /** The method names called so far, in order. */
  readonly calls: readonly StoreMethod[];
  /** How many times `method` was called (every method when omitted). */
  count(method?: StoreMethod): number;
  /** Forgets the calls so far. */
  reset(): void;
  /** Waits until every call under way has settled, including ones started while waiting. */
  idle(): Promise<void>;
}

/**
 * Wraps any {@link TokenStore} and counts its calls: how tests prove that a malformed token
 * costs no lookup, and how they wait for writes the core makes off the response path.
 * Synchronous answers stay synchronous.
 */
export function countingStore(inner: TokenStore): CountingStore {
  const calls: StoreMethod[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const wrapper: Partial<Record<StoreMethod, unknown>> = {};
  for (const method of STORE_METHODS) {
    if (typeof inner[method] !== "function") continue;
    wrapper[method] = (...args: unknown[]) => {
      calls.push(method);
      // Looked up per call, so a test may replace a method of the inner store afterwards.
      const current = inner[method] as (...args: unknown[]) => unknown;
      const result = current.apply(inner, args);
      if (result instanceof Promise) {
        const settled = result.then(
          () => {},
          () => {},
        );
        inFlight.add(settled);
        void settled.finally(() => inFlight.delete(settled));
      }
      return result;
    };
  }
  return {
    store: wrapper as unknown as TokenStore,
    calls,
    count: (method) =>
      method === undefined ? calls.length : calls.filter((called) => called === method).length,
    reset: () => {
      calls.length = 0;
    },
    async idle() {
      // Let promise callbacks that start new calls run, then wait for what is under way.
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        if (inFlight.size === 0) return;
        await Promise.all(inFlight);
      }
    },
  };
}
