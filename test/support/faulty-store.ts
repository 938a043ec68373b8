import type { TokenStore } from "patkit";
import { STORE_METHODS, type StoreMethod } from "./counting-store.js";

/** The error a faulty store throws unless told otherwise: shaped like a driver's network error. */
export class InjectedFault extends Error {
  readonly code = "ECONNRESET";

  constructor(message = "injected fault: connection reset by peer") {
    super(message);
    this.name = "InjectedFault";
  }
}

/** How one injected failure behaves. */
export interface FaultOptions {
  /** What is thrown; default a new {@link InjectedFault}. */
  readonly error?: unknown;
  /** Throw synchronously instead of returning a rejected promise. */
  readonly synchronous?: boolean;
  /**
   * `"before"` (default): the call fails without reaching the inner store. `"after"`: the inner
   * store does the work, then the caller sees the failure (a commit whose answer was lost).
   */
  readonly when?: "before" | "after";
}

/** A call held by {@link FaultyStore.hang}: it answers nothing until `fail` is called. */
export interface HangingCall {
  /** Resolves when the held call has arrived. */
  readonly arrived: Promise<void>;
  /** Ends the held call with a failure (default: a new {@link InjectedFault}). */
  fail(error?: unknown): void;
}

/** A store whose methods fail on command, over any {@link TokenStore}. */
export interface FaultyStore {
  /** The wrapper to hand to `createAccessTokens`. */
  readonly store: TokenStore;
  /** Fails the next `count` calls of `method`. */
  failNext(method: StoreMethod, count?: number, options?: FaultOptions): void;
  /** Fails every call of every method until {@link heal}. */
  failAll(options?: FaultOptions): void;
  /** Holds the next call of `method` unanswered until the test fails it. */
  hang(method: StoreMethod): HangingCall;
  /** Stops failing: later calls reach the inner store again. */
  heal(): void;
  /** How many calls have been failed so far. */
  readonly injected: number;
}

interface PendingFault {
  remaining: number;
  readonly options: FaultOptions;
}

/**
 * Wraps any {@link TokenStore} with failures on command: fail the next N calls of a method,
 * fail everything, or hold a call and then fail it. Without a fault every call goes straight to
 * the inner store, synchronous answers included.
 */
export function faultyStore(inner: TokenStore): FaultyStore {
  const next = new Map<StoreMethod, PendingFault[]>();
  const held = new Map<StoreMethod, (() => Promise<never>)[]>();
  let everything: FaultOptions | null = null;
  let injected = 0;

  function takeFault(method: StoreMethod): FaultOptions | null {
    if (everything) return everything;
    const queue = next.get(method);
    const fault = queue?.[0];
    if (!fault) return null;
    fault.remaining--;
    if (fault.remaining <= 0) queue.shift();
    return fault.options;
  }

  function failure(options: FaultOptions): unknown {
    injected++;
    return options.error ?? new InjectedFault();
  }

  function fail(options: FaultOptions): unknown {
    if (options.synchronous) throw failure(options);
    return Promise.reject(failure(options));
  }

  const wrapper: Partial<Record<StoreMethod, unknown>> = {};
  for (const method of STORE_METHODS) {
    const original = inner[method] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== "function") continue;
    wrapper[method] = (...args: unknown[]) => {
      const hold = held.get(method)?.shift();
      if (hold) return hold();
      const fault = takeFault(method);
      if (!fault) return original.apply(inner, args);
      if (fault.when !== "after") return fail(fault);
      const result = original.apply(inner, args);
      if (result instanceof Promise) return result.then(() => fail(fault));
      return fail(fault);
    };
  }

  return {
    store: wrapper as unknown as TokenStore,
    failNext(method, count = 1, options = {}) {
      const queue = next.get(method) ?? [];
      queue.push({ remaining: count, options });
      next.set(method, queue);
    },
    failAll(options = {}) {
      everything = options;
    },
    hang(method) {
      let arrive!: () => void;
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve;
      });
      let reject!: (error: unknown) => void;
      const answer = new Promise<never>((_, rejectAnswer) => {
        reject = rejectAnswer;
      });
      const queue = held.get(method) ?? [];
      queue.push(() => {
        arrive();
        return answer;
      });
      held.set(method, queue);
      return {
        arrived,
        fail(error?: unknown) {
          injected++;
          reject(error ?? new InjectedFault("injected fault: no answer, connection timed out"));
        },
      };
    },
    heal() {
      everything = null;
      next.clear();
    },
    get injected() {
      return injected;
    },
  };
}
