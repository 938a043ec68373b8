import { PGlite } from "@electric-sql/pglite";
import { migrate, type PostgresClient } from "patkit/postgres";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";

/** The real server to test against, when set (e.g. postgres://postgres@127.0.0.1:5432/test). */
export const DATABASE_URL = process.env.DATABASE_URL;

/** A schema name no other test uses. */
export function uniqueSchema(label: string): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36) ?? "0";
  return `patkit_${label}_${Date.now().toString(36)}_${random}`;
}

/** Something that runs SQL: a pg Pool or Client, or PGlite. */
export interface Sql {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export async function dropSchema(client: Sql, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A migrated, empty schema and how to drop it. */
export async function freshSchema(
  client: Parameters<typeof migrate>[0],
  label: string,
): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = uniqueSchema(label);
  await migrate(client, { schema });
  return { schema, drop: () => dropSchema(client, schema) };
}

/** A pg Pool on DATABASE_URL (only call when it is set). */
export function createPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 12, ...options });
  // A terminated idle connection must not crash the test process.
  pool.on("error", () => undefined);
  return pool;
}

/** A started PGlite instance (about 3 s cold): share one per test file. */
export function createPGlite(): Promise<PGlite> {
  return PGlite.create();
}

/**
 * Defines the same tests on a shared PGlite instance and, when DATABASE_URL is set, on a pg
 * Pool to the real server (skipped, and reported as skipped, without it).
 */
export function describeOnBackends(
  title: string,
  define: (client: () => PostgresClient, backend: "pglite" | "server") => void,
): void {
  describe(`${title} (PGlite)`, () => {
    let db: PGlite;
    beforeAll(async () => {
      db = await createPGlite();
    });
    afterAll(async () => {
      await db.close();
    });
    define(() => db, "pglite");
  });

  describe.skipIf(!DATABASE_URL)(`${title} (PostgreSQL server)`, () => {
    let pool: pg.Pool;
    beforeAll(() => {
      pool = createPool();
    });
    afterAll(async () => {
      await pool.end();
    });
    define(() => pool, "server");
  });
}
