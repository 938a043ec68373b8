import { type AccessTokens, createAccessTokens, ValidationError } from "patkit";
import { createMemoryStore } from "patkit/memory";
import type { ListenOptions, PostgresClient } from "patkit/postgres";
import { countingClient, countingTouches, resetTouches, type TouchCount } from "../counting.js";
import { accessTokensOn, createPersonalTokens, hostAccess, roundRobin } from "../fixtures.js";
import {
  type CaseResult,
  type CaseSpec,
  measure,
  measureInterleaved,
  type TimeBox,
} from "../harness.js";

/** The schema every bench table lives in; dropped and recreated by each run on a server. */
export const BENCH_SCHEMA = "patkit_bench";

/** How many tokens the database cases spread their verifies over (round robin). */
export const DATABASE_TOKENS = 100;

type PostgresModule = typeof import("patkit/postgres");

/** `patkit/postgres`, or `null` while it does not exist yet. */
export async function loadPostgresAdapter(): Promise<PostgresModule | null> {
  try {
    return await import("patkit/postgres");
  } catch {
    return null;
  }
}

/** True when `createAccessTokens` knows the `cache` option (it refuses a bad one by name). */
export function cacheOptionSupported(): boolean {
  try {
    createAccessTokens({
      store: createMemoryStore(),
      access: hostAccess,
      cache: { ttlMs: -1, maxEntries: 0 },
    } as Parameters<typeof createAccessTokens>[0]);
    return false;
  } catch (error) {
    return error instanceof ValidationError && error.fields.some((f) => f.startsWith("cache"));
  }
}

export interface PostgresCaseOptions {
  readonly adapter: PostgresModule;
  readonly group: string;
  readonly client: PostgresClient;
  readonly box: TimeBox;
}

/** Prepared PostgreSQL cases. */
export interface PostgresCases {
  /**
   * patkit `verifyToken` over the tokens, round robin, at `inFlight`, alternating with `peers`
   * (measured over the same client in the same slices). The first result is patkit's, with its
   * round trips per verify and last-authenticated writes in its notes.
   */
  verify(inFlight: number, peers: readonly CaseSpec[]): Promise<CaseResult[]>;
  /** The same with the verification cache on (`listen` carries notifications on a server). */
  verifyCached(inFlight: number, listen?: ListenOptions): Promise<CaseResult>;
  /** The token service on this database, for management cases. */
  readonly tokens: AccessTokens;
  /** Writes pending last-authenticated times and notes on `first` the most writes any token got. */
  finish(first: CaseResult | undefined): Promise<void>;
}

const ROUNDS = 2;

/**
 * patkit on PostgreSQL (a server through `pg`, or PGlite): migrates the bench schema and creates
 * 100 valid tokens. Each verify case counts its statements (round trips per verify) and its
 * last-authenticated writes.
 */
export async function preparePostgresCases(options: PostgresCaseOptions): Promise<PostgresCases> {
  const { adapter, group, client, box } = options;
  await adapter.migrate(client, { schema: BENCH_SCHEMA });
  const counting = countingClient(client);
  const { store, touches } = countingTouches(
    adapter.createPostgresStore({ client: counting.client, schema: BENCH_SCHEMA, listen: false }),
  );
  const tokens = accessTokensOn(store);
  const secrets = await createPersonalTokens(tokens, DATABASE_TOKENS);
  const started = performance.now();
  const perToken = new Map<string, number>();

  return {
    tokens,
    async verify(inFlight, peers) {
      const next = roundRobin(secrets);
      const spec: CaseSpec = {
        group,
        name: "verifyToken: valid",
        async: () => expectOk(tokens.verifyToken(next())),
        inFlight,
      };
      return counted(counting.queries, touches, tokens, perToken, () =>
        measureInterleaved([spec, ...peers], box, ROUNDS),
      );
    },
    async verifyCached(inFlight, listen) {
      const cachedCounting = countingClient(client);
      const cached = countingTouches(
        adapter.createPostgresStore({
          client: cachedCounting.client,
          schema: BENCH_SCHEMA,
          listen: listen ?? (client.listen ? undefined : false),
        }),
      );
      const cachedTokens = accessTokensOn(cached.store, {
        cache: { ttlMs: 60_000, maxEntries: 10_000 },
      } as Parameters<typeof accessTokensOn>[1]);
      const next = roundRobin(secrets);
      const spec: CaseSpec = {
        group,
        name: "verifyToken: valid, cache on",
        async: () => expectOk(cachedTokens.verifyToken(next())),
        inFlight,
      };
      const [result] = await counted(
        cachedCounting.queries,
        cached.touches,
        cachedTokens,
        new Map(),
        async () => [await measure(spec, box)],
      );
      await (cachedTokens as AccessTokens & { close?: () => Promise<void> }).close?.();
      return result as CaseResult;
    },
    async finish(first) {
      await tokens.flush();
      const seconds = (performance.now() - started) / 1000;
      const most = Math.max(0, ...perToken.values());
      first?.notes.push(
        `last-authenticated writes over the uncached verify cases (${seconds.toFixed(0)} s): ` +
          `at most ${most} per token (target: at most 1 per token per minute)`,
      );
    },
  };
}

async function counted(
  queries: () => number,
  touches: TouchCount,
  tokens: AccessTokens,
  perToken: Map<string, number>,
  run: () => Promise<CaseResult[]>,
): Promise<CaseResult[]> {
  await tokens.flush();
  resetTouches(touches);
  const before = queries();
  const results = await run();
  await tokens.flush();
  const result = results[0] as CaseResult;
  const statements = queries() - before;
  // Warm-up verifies count too: ops alone would overstate the round trips.
  const verifies = result.ops + result.warmupOps;
  const verifyStatements = statements - touches.batches;
  result.notes.push(
    `round trips per verify: ${(verifyStatements / verifies).toFixed(2)} ` +
      `(${verifyStatements} statements for ${verifies} verifies incl. warm-up); ` +
      `last-authenticated: ${touches.batches} batched writes for ${touches.entries} token entries`,
  );
  for (const [id, count] of touches.perToken) perToken.set(id, (perToken.get(id) ?? 0) + count);
  return results;
}

async function expectOk(answer: Promise<{ ok: boolean }>): Promise<void> {
  if (!(await answer).ok) throw new Error("A valid token failed verification in the bench");
}
