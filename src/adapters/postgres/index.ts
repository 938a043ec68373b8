/**
 * `patkit/postgres`: a token store on PostgreSQL, through `pg` (Pool or Client) or PGlite,
 * with its migrations. The drivers are optional peer dependencies; this module imports neither.
 *
 * @packageDocumentation
 * @module patkit/postgres
 */
export type {
  ListenerConnection,
  ListenOptions,
  NamedStatement,
  PostgresClient,
  PostgresNotification,
} from "./client.js";
export { EXPIRY_IMMUTABLE_STATE, LIMIT_EXCEEDED_STATE } from "./errors.js";
export { type MigrateOptions, type MigrateResult, migrate } from "./migrate.js";
export { LATEST_SCHEMA_VERSION, type Migration, renderMigrations } from "./migrations.js";
export { DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX, type SchemaOptions } from "./names.js";
export {
  createPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
} from "./postgres-store.js";
