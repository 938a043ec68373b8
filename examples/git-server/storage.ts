import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { TokenStore } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { createPostgresStore, migrate } from "patkit/postgres";

/** Where the demo keeps its tokens. */
export type StorageChoice =
  /** In process memory: gone at exit. */
  | { readonly kind: "memory" }
  /** Embedded PostgreSQL (PGlite), persisted in `directory`, or in memory without one. */
  | { readonly kind: "pglite"; readonly directory?: string }
  /**
   * A PostgreSQL server through a `pg` Pool. `dropSchemaOnClose` suits throw-away schemas
   * (the self-test and the end-to-end tests on a shared database).
   */
  | {
      readonly kind: "postgres";
      readonly databaseUrl: string;
      readonly schema: string;
      readonly dropSchemaOnClose?: boolean;
    }
  /** A store you opened yourself (tests wrap one to inject failures); closing it is yours. */
  | { readonly kind: "store"; readonly store: TokenStore; readonly description: string };

/** An open token store and how to close it. */
export interface Storage {
  readonly store: TokenStore;
  /** Where the tokens live, for the start-up banner. */
  readonly description: string;
  close(): Promise<void>;
}

/** The schema the demo uses on a PostgreSQL server, to keep out of `public`. */
export const DEMO_SCHEMA = "patkit_demo";

/**
 * The storage the environment asks for: PostgreSQL when `DATABASE_URL` is set, else PGlite
 * persisted under `dataDir/pglite`. `isolated` asks for storage no other run shares: a
 * throw-away schema on the server (the self-test).
 */
export function storageFromEnvironment(
  dataDir: string,
  options: { isolated?: boolean } = {},
): StorageChoice {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    return options.isolated
      ? { kind: "postgres", databaseUrl, schema: throwAwaySchema(), dropSchemaOnClose: true }
      : { kind: "postgres", databaseUrl, schema: DEMO_SCHEMA };
  }
  return { kind: "pglite", directory: `${dataDir}/pglite` };
}

/** A schema name no other run uses. */
export function throwAwaySchema(): string {
  return `patkit_run_${randomBytes(6).toString("hex")}`;
}

/** Opens the token store the choice names, migrating PostgreSQL schemas first. */
export async function openStorage(choice: StorageChoice): Promise<Storage> {
  switch (choice.kind) {
    case "memory":
      return { store: createMemoryStore(), description: "in memory", close: async () => {} };
    case "store":
      return { store: choice.store, description: choice.description, close: async () => {} };
    case "pglite": {
      const { PGlite } = await import("@electric-sql/pglite");
      if (choice.directory) await mkdir(choice.directory, { recursive: true });
      const db = choice.directory ? await PGlite.create(choice.directory) : await PGlite.create();
      await migrate(db);
      return {
        store: createPostgresStore({ client: db }),
        description: choice.directory ? `PGlite in ${choice.directory}` : "PGlite in memory",
        close: () => db.close(),
      };
    }
    case "postgres": {
      const { default: pg } = await import("pg");
      const pool = new pg.Pool({ connectionString: choice.databaseUrl, max: 4 });
      const schema = choice.schema;
      try {
        await migrate(pool, { schema });
      } catch (error) {
        await pool.end();
        throw error;
      }
      return {
        store: createPostgresStore({ client: pool, schema }),
        description: `PostgreSQL ${withoutPassword(choice.databaseUrl)}, schema ${schema}`,
        async close() {
          if (choice.dropSchemaOnClose)
            await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await pool.end();
        },
      };
    }
  }
}

function withoutPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    url.password = "";
    return url.href;
  } catch {
    return "(DATABASE_URL)";
  }
}
