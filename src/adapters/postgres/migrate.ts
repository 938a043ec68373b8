import { StoreUnavailableError } from "../../index.js";
import { lastRows, type PostgresClient } from "./client.js";
import { renderMigrations } from "./migrations.js";
import { type SchemaOptions, type SqlNames, sqlNames } from "./names.js";

/** Options of {@link migrate}: where the tables go. Use the same ones for the store. */
export type MigrateOptions = SchemaOptions;

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The schema version after migrating. */
  readonly version: number;
  /** The versions this call applied (empty when the schema was up to date). */
  readonly applied: number[];
}

/**
 * Creates or upgrades patkit's tables in `schema` (created if missing). Versioned (applied
 * versions are recorded in `<prefix>migrations`) and idempotent: run it at every start.
 *
 * The whole upgrade is one multi-statement call, which PostgreSQL runs as one transaction on
 * one connection, even through a pool: it takes a transaction-level advisory lock first, so
 * instances migrating at once wait for each other and then find nothing left to do. A failure
 * rolls everything back and throws `StoreUnavailableError` with the cause.
 */
export async function migrate(
  client: PostgresClient,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const script = migrationScript(sqlNames(options));
  let result: unknown;
  try {
    result =
      typeof client.exec === "function" ? await client.exec(script) : await client.query(script);
  } catch (error) {
    throw new StoreUnavailableError("Migrating patkit's PostgreSQL schema failed", {
      cause: error,
    });
  }
  const rows = lastRows(result) as { version: number; applied: boolean }[];
  return {
    version: Math.max(0, ...rows.map((row) => Number(row.version))),
    applied: rows.filter((row) => row.applied).map((row) => Number(row.version)),
  };
}

/** The script `migrate` runs: lock, create the schema and bookkeeping, apply what is missing. */
export function migrationScript(names: SqlNames): string {
  const migrations = renderMigrations({ schema: names.schema, tablePrefix: names.tablePrefix });
  const steps = migrations
    .map(
      (migration) => `
  IF NOT EXISTS (SELECT FROM ${names.migrations} WHERE version = ${migration.version}) THEN
    EXECUTE $patkit_migration_${migration.version}$
${migration.sql}
$patkit_migration_${migration.version}$;
    INSERT INTO ${names.migrations} (version, name) VALUES (${migration.version}, ${literal(migration.name)});
  END IF;`,
    )
    .join("\n");
  return `SELECT pg_advisory_xact_lock(hashtext('patkit.migrate'), hashtext(${literal(names.migrationLockKey)}));
DO $patkit_migrate$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = ${literal(names.schema)}) THEN
    CREATE SCHEMA ${names.quotedSchema};
  END IF;
  IF to_regclass(${literal(names.migrations)}) IS NULL THEN
    CREATE TABLE ${names.migrations} (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    );
  END IF;
${steps}
END
$patkit_migrate$;
SELECT version, applied_at = now() AS applied FROM ${names.migrations} ORDER BY version;`;
}

/** A SQL string literal; the names it quotes are validated identifiers, but quote anyway. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
