import { PGlite } from "@electric-sql/pglite";
import type { TokenStore } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { createPostgresStore, migrate, type PostgresClient } from "patkit/postgres";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";

/** The real server to test against, when set (e.g. postgres://postgres@127.0.0.1:5432/test). */
export const DATABASE_URL = process.env.DATABASE_URL;

/** A store opened for one test, and how to clean it up. */
export interface OpenedStore {
  readonly store: TokenStore;
  /** The client the store runs on (PostgreSQL targets only). */
  readonly client?: PostgresClient;
  /** The schema it lives in (PostgreSQL targets only). */
  readonly schema?: string;
  close(): Promise<void>;
}

/** Where a suite runs: the memory store, PGlite, or a real PostgreSQL server. */
export interface StoreTarget {
  readonly name: string;
  readonly kind: "memory" | "pglite" | "postgres";
  /** A fresh, empty store: a new memory store, or a new migrated schema on the shared database. */
  open(options?: { watch?: boolean }): Promise<OpenedStore>;
}

/** A schema name no other test uses. */
export function uniqueSchema(label: string): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36) ?? "0";
  return `patkit_${label}_${Date.now().toString(36)}_${random}`;
}

/** A pg Pool on {@link DATABASE_URL} that a terminated connection cannot crash. */
export function createPool(config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6, ...config });
  pool.on("error", () => undefined);
  return pool;
}

/**
 * A pg Pool on {@link DATABASE_URL}'s database that connects through a local port (a test's own
 * TCP proxy) instead of the server's, so the test can cut its connections and no one else's.
 */
export function createPoolThrough(port: number, config: pg.PoolConfig = {}): pg.Pool {
  const url = new URL(DATABASE_URL as string);
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password) || undefined,
    database: url.pathname.slice(1),
    connectionTimeoutMillis: 5000,
    ...config,
  });
  pool.on("error", () => undefined);
  return pool;
}

/** Where {@link DATABASE_URL}'s server listens, for a proxy in front of it. */
export function serverAddress(): { host: string; port: number } {
  const url = new URL(DATABASE_URL as string);
  return { host: url.hostname, port: Number(url.port || 5432) };
}

/**
 * The targets a suite should run on: memory always, PGlite always (one instance per test file,
 * started in `beforeAll`), and the PostgreSQL server when `DATABASE_URL` is set (one pool per
 * file). Call it at the top level of a test file; each `open` makes a fresh schema.
 */
export function useStoreTargets(label: string): StoreTarget[] {
  let pglite: PGlite | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    pglite = await PGlite.create();
    if (DATABASE_URL) pool = createPool({ application_name: `patkit-${label}` });
  });
  afterAll(async () => {
    await pglite?.close();
    await pool?.end();
  });

  const onPostgres = async (
    client: PostgresClient,
    listen: Parameters<typeof createPostgresStore>[0]["listen"],
  ): Promise<OpenedStore> => {
    const schema = uniqueSchema(label);
    await migrate(client, { schema });
    const store = createPostgresStore({ client, schema, listen });
    return {
      store,
      client,
      schema,
      close: async () => {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  };

  const targets: StoreTarget[] = [
    {
      name: "memory store",
      kind: "memory",
      open: async () => ({ store: createMemoryStore(), close: async () => {} }),
    },
    {
      name: "PGlite",
      kind: "pglite",
      open: (options = {}) =>
        onPostgres(pglite as unknown as PostgresClient, options.watch ? undefined : false),
    },
  ];
  if (DATABASE_URL) {
    targets.push({
      name: "PostgreSQL server",
      kind: "postgres",
      open: (options = {}) => {
        const current = pool as pg.Pool;
        return onPostgres(
          current,
          options.watch ? { connect: () => current.connect(), retryDelayMs: 20 } : false,
        );
      },
    });
  }
  return targets;
}
