import type fc from "fast-check";
import type { TokenStore } from "patkit";
import { STORE_METHODS, type StoreMethod } from "./counting-store.js";

/**
 * Wraps any {@link TokenStore} so that fast-check's scheduler decides when each call reaches
 * the store and when its answer comes back, as a database over a network would: the work
 * happens at one scheduled moment, the caller hears of it at a later one. Interleavings the
 * scheduler explores are replayable and shrink like any counterexample. `watch` subscribes at
 * once (it is a subscription, not a request).
 */
export function scheduledStore(inner: TokenStore, scheduler: fc.Scheduler): TokenStore {
  const wrapper: Partial<Record<StoreMethod, unknown>> = {};
  for (const method of STORE_METHODS) {
    const original = inner[method] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== "function") continue;
    if (method === "watch") {
      wrapper[method] = original.bind(inner);
      continue;
    }
    wrapper[method] = async (...args: unknown[]) => {
      await scheduler.schedule(Promise.resolve(), `${method} reaches the store`);
      let outcome: { value: unknown } | { error: unknown };
      try {
        outcome = { value: await original.apply(inner, args) };
      } catch (error) {
        outcome = { error };
      }
      await scheduler.schedule(Promise.resolve(), `${method} answer arrives`);
      if ("error" in outcome) throw outcome.error;
      return outcome.value;
    };
  }
  return wrapper as unknown as TokenStore;
}
