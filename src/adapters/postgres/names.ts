import { ValidationError, type ValidationIssue } from "../../index.js";

/** Where patkit's tables live: a schema, and a prefix for the names of its tables. */
export interface SchemaOptions {
  /** The PostgreSQL schema; default `"public"`. Lower-case letters, digits and `_`. */
  readonly schema?: string;
  /** Put before every table, function and index name; default `"patkit_"`. May be `""`. */
  readonly tablePrefix?: string;
}

/** The schema patkit uses when none is given. */
export const DEFAULT_SCHEMA = "public";
/** The table prefix patkit uses when none is given. */
export const DEFAULT_TABLE_PREFIX = "patkit_";

/** Every name patkit's SQL needs, quoted and schema-qualified where it must be. */
export interface SqlNames {
  readonly schema: string;
  readonly tablePrefix: string;
  /** `"schema"` */
  readonly quotedSchema: string;
  readonly tokens: string;
  readonly policy: string;
  readonly migrations: string;
  /** One row per owner that inserts under a limit: the point where those inserts queue. */
  readonly ownerInserts: string;
  readonly insertToken: string;
  /** `insert_token` plus the lifecycle columns of migration 3. */
  readonly insertTokenWithLifecycle: string;
  readonly refuseExpiryChange: string;
  readonly notifyTokenChange: string;
  /** Unqualified, prefixed name for indexes, triggers and constraints, e.g. `patkit_tokens_by_user`. */
  readonly local: (name: string) => string;
  /** The LISTEN/NOTIFY channel: `<schema>.<prefix>tokens`. */
  readonly channel: string;
  /** Keys for `pg_advisory_xact_lock(int, int)`: the text hashed for each namespace. */
  readonly migrationLockKey: string;
  readonly ownerLockKey: string;
}

// Lower-case only, so a name means the same quoted or not and never needs escaping.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const PREFIX = /^([a-z_][a-z0-9_]*)?$/;
/** PostgreSQL truncates identifiers (and channel names) longer than this. */
const MAX_IDENTIFIER_BYTES = 63;
/** The longest suffix patkit appends to the prefix ("tokens_by_repository"). */
const LONGEST_SUFFIX = "tokens_by_repository".length;

/** Validates the schema options and derives every name. Throws `ValidationError` naming the field. */
export function sqlNames(options: SchemaOptions = {}): SqlNames {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const issues: ValidationIssue[] = [];
  if (typeof schema !== "string" || !IDENTIFIER.test(schema) || schema.length > 63) {
    issues.push({
      path: ["schema"],
      message: "Expected 1 to 63 lower-case letters, digits or _, not starting with a digit",
    });
  }
  if (
    typeof tablePrefix !== "string" ||
    !PREFIX.test(tablePrefix) ||
    tablePrefix.length + LONGEST_SUFFIX > MAX_IDENTIFIER_BYTES
  ) {
    issues.push({
      path: ["tablePrefix"],
      message: `Expected at most ${MAX_IDENTIFIER_BYTES - LONGEST_SUFFIX} lower-case letters, digits or _, not starting with a digit`,
    });
  }
  if (issues.length === 0) {
    const channel = `${schema}.${tablePrefix}tokens`;
    if (channel.length > MAX_IDENTIFIER_BYTES) {
      issues.push({
        path: ["schema"],
        message: `schema and tablePrefix together must be at most ${MAX_IDENTIFIER_BYTES - 7} characters (they name the notification channel)`,
      });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const quotedSchema = `"${schema}"`;
  const qualified = (name: string) => `${quotedSchema}."${tablePrefix}${name}"`;
  return {
    schema,
    tablePrefix,
    quotedSchema,
    tokens: qualified("tokens"),
    policy: qualified("policy"),
    migrations: qualified("migrations"),
    ownerInserts: qualified("owner_inserts"),
    insertToken: qualified("insert_token"),
    insertTokenWithLifecycle: qualified("insert_token_with_lifecycle"),
    refuseExpiryChange: qualified("refuse_expiry_change"),
    notifyTokenChange: qualified("notify_token_change"),
    local: (name) => `"${tablePrefix}${name}"`,
    channel: `${schema}.${tablePrefix}tokens`,
    migrationLockKey: `patkit.migrate:${schema}.${tablePrefix}`,
    ownerLockKey: `patkit.owner:${schema}.${tablePrefix}`,
  };
}

/**
 * The name of a prepared statement for `names`: readable when it fits in 63 bytes, otherwise
 * its start and a hash of the whole, so that two long schema names sharing their first 63 bytes
 * never share (and clash over) one statement on a connection.
 */
export function statementName(base: string, names: SqlNames): string {
  const full = `${base}.${names.schema}.${names.tablePrefix}`;
  if (new TextEncoder().encode(full).length <= MAX_IDENTIFIER_BYTES) return full;
  // FNV-1a, 32 bits, twice (forward and backward): 16 hex digits, ample for a few schemas.
  const hash = (text: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return (h >>> 0).toString(16).padStart(8, "0");
  };
  return `${base}.${hash(full)}${hash([...full].reverse().join(""))}`;
}
