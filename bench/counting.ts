import type { TokenStore } from "patkit";
import type { PostgresClient } from "patkit/postgres";
import type { TouchEntry } from "patkit/store";

/** Counts the statements sent through a client: the round trips a case costs. */
export interface CountingClient {
  readonly client: PostgresClient;
  readonly queries: () => number;
}

/**
 * Wraps a `pg` Pool or PGlite in the slice `patkit/postgres` uses, counting every `query` and
 * every PGlite `execProtocol` call (each one round trip into PostgreSQL). `connect`, `exec`,
 * `listen` and PGlite's locks pass through uncounted.
 */
export function countingClient(inner: PostgresClient): CountingClient {
  let queries = 0;
  const client: PostgresClient = {
    query(text, values) {
      queries++;
      return inner.query(text, values);
    },
  };
  // A pg Pool's `connect` tells patkit/postgres it may use named statements: keep that visible.
  const connect = (inner as { connect?: unknown }).connect;
  if (typeof connect === "function") Object.assign(client, { connect: connect.bind(inner) });
  if (inner.exec) {
    const exec = inner.exec.bind(inner);
    Object.assign(client, { exec });
  }
  if (inner.listen) {
    const listen = inner.listen.bind(inner);
    Object.assign(client, { listen });
  }
  // PGlite's protocol interface: patkit/postgres prepares its verify lookup through it.
  const lite = inner as unknown as Record<string, unknown>;
  if (typeof lite.execProtocol === "function") {
    const execProtocol = lite.execProtocol.bind(inner) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      execProtocol: (...args: unknown[]) => {
        queries++;
        return execProtocol(...args);
      },
    });
  }
  for (const lock of ["runExclusive", "_runExclusiveTransaction"]) {
    const fn = lite[lock];
    if (typeof fn === "function") Object.assign(client, { [lock]: fn.bind(inner) });
  }
  return { client, queries: () => queries };
}

/** How many last-authenticated batches a store was asked to write, and for how many tokens. */
export interface TouchCount {
  batches: number;
  entries: number;
  readonly perToken: Map<string, number>;
}

/** The same store with its last-authenticated writes counted (every other method bound as is). */
export function countingTouches(store: TokenStore): { store: TokenStore; touches: TouchCount } {
  const touches: TouchCount = { batches: 0, entries: 0, perToken: new Map() };
  const wrapped: Record<string, unknown> = {};
  for (const key of Object.keys(store) as (keyof TokenStore)[]) {
    const value = store[key];
    wrapped[key] = typeof value === "function" ? value.bind(store) : value;
  }
  const touch = store.touchLastAuthenticated.bind(store);
  wrapped.touchLastAuthenticated = (entries: readonly TouchEntry[]) => {
    touches.batches++;
    touches.entries += entries.length;
    for (const { id } of entries) touches.perToken.set(id, (touches.perToken.get(id) ?? 0) + 1);
    return touch(entries);
  };
  return { store: wrapped as unknown as TokenStore, touches };
}

/** Resets a touch count between cases. */
export function resetTouches(touches: TouchCount): void {
  touches.batches = 0;
  touches.entries = 0;
  touches.perToken.clear();
}
