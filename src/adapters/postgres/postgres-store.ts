import {
  ConflictError,
  type Policy,
  type RevokedReason,
  type TokenStore,
  ValidationError,
} from "../../index.js";
import {
  type CreatedByQuery,
  type DueNotice,
  type DueNoticeQuery,
  type InsertLimit,
  type ListQuery,
  type NoticeClaim,
  ownerColumns,
  type PolicyColumns,
  permissionColumns,
  policyFromColumns,
  type StoreChange,
  type TokenPatch,
  type TokenRecord,
  type TokenRotation,
  type TouchEntry,
  type UnusedQuery,
  type Unwatch,
  type UserErasure,
} from "../../store/index.js";
import { type ListenOptions, type PostgresClient, takesNamedStatements } from "./client.js";
import {
  isSerializationFailure,
  SERIALIZATION_ATTEMPTS,
  type StatementContext,
  serializationPause,
  toPatkitError,
} from "./errors.js";
import { createMaintenanceQueries } from "./maintenance-queries.js";
import { type SchemaOptions, type SqlNames, sqlNames, statementName } from "./names.js";
import { createNotifications } from "./notifications.js";
import { pgliteLookup } from "./pglite-lookup.js";
import { leadingValues, RECORD_COLUMNS, recordFromRow, timestamp, toHex } from "./rows.js";

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions extends SchemaOptions {
  /** A `pg` Pool or Client, or a PGlite instance: anything with `query(text, values)`. */
  readonly client: PostgresClient;
  /**
   * How `watch` listens for changes. With PGlite it needs nothing (PGlite's own `listen` is
   * used). With `pg`, give a dedicated connection: `{ connect: () => pool.connect() }`.
   * Without either, or with `false`, the store has no `watch`.
   */
  readonly listen?: ListenOptions | false;
  /**
   * Prepare the verify lookup once instead of parsing and planning it on every call: on a `pg`
   * Pool or Client as a named prepared statement (once per connection), on PGlite through its
   * `execProtocol` (once per instance). Default: on for those two, off for clients that only
   * take `query(text, values)`. `false` sends the lookup as a plain `query` everywhere.
   */
  readonly namedStatements?: boolean;
}

/** A {@link TokenStore} on PostgreSQL, with the names it uses. */
export interface PostgresStore extends TokenStore {
  /** The schema the store reads and writes. */
  readonly schema: string;
  /** The prefix of its tables. */
  readonly tablePrefix: string;
  /** The LISTEN/NOTIFY channel on which every token change is announced (payload: the id). */
  readonly channel: string;
}

/**
 * Creates a {@link TokenStore} on PostgreSQL (a server through `pg`, or PGlite). Run
 * {@link migrate} first. Every write is one statement, so it is atomic even through a pool; the
 * per-owner limit holds under concurrency and whatever the session's default isolation level
 * (inserts under a limit queue on a row per owner; one that loses a serialization conflict under
 * REPEATABLE READ or SERIALIZABLE runs again) and the database itself refuses to change a set
 * expiry. Driver failures become
 * `StoreUnavailableError` with the cause attached.
 *
 * @example
 * ```ts
 * import pg from "pg"; // or: const db = await PGlite.create(), from "@electric-sql/pglite"
 * import { createAccessTokens } from "patkit";
 * import { createPostgresStore, migrate } from "patkit/postgres";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool); // at every start: versioned and idempotent
 * const store = createPostgresStore({ client: pool, listen: { connect: () => pool.connect() } });
 * const tokens = createAccessTokens({ store, access });
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  if (typeof options?.client?.query !== "function") {
    throw new ValidationError([
      { path: ["client"], message: "Expected a pg Pool or Client, or a PGlite instance" },
    ]);
  }
  const names = sqlNames(options);
  const client = options.client;
  const queries = createQueries(names);
  const maintenance = createMaintenanceQueries(names);
  const preparedOnPGlite =
    options.namedStatements === false ? null : pgliteLookup(client, queries.findById);
  const namedStatements =
    preparedOnPGlite === null && (options.namedStatements ?? takesNamedStatements(client));
  const findByIdName = statementName("patkit_find_by_id", names);

  // Every write is one statement in a transaction of its own, so one that lost a serialization
  // conflict (REPEATABLE READ or SERIALIZABLE as the session's default) changed nothing and can
  // simply run again, on a fresh snapshot.
  async function run(
    text: string,
    values: unknown[],
    context: StatementContext,
  ): Promise<unknown[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await client.query(text, values)).rows;
      } catch (error) {
        if (attempt < SERIALIZATION_ATTEMPTS && isSerializationFailure(error)) {
          await serializationPause(attempt);
          continue;
        }
        throw toPatkitError(error, context);
      }
    }
  }

  const store: PostgresStore = {
    schema: names.schema,
    tablePrefix: names.tablePrefix,
    channel: names.channel,

    async insert(record: TokenRecord, limit: InsertLimit): Promise<void> {
      const maxTokens = limit.maxTokensPerOwner;
      await run(
        queries.insert,
        [
          ...leadingValues(record),
          record.createdBy,
          timestamp(record.expiresAt, "expiresAt"),
          timestamp(record.lastAuthenticatedAt, "lastAuthenticatedAt"),
          timestamp(record.revokedAt, "revokedAt"),
          record.version,
          maxTokens,
          timestamp(limit.now, "now"),
          record.revokedReason,
          record.replaces,
          record.replacedBy,
          record.lastUsedIps,
        ],
        { operation: "insert", limit: maxTokens },
      );
    },

    async findById(id: string): Promise<TokenRecord | null> {
      if (!storable(id)) return null;
      let rows: unknown[];
      try {
        if (preparedOnPGlite !== null) rows = await preparedOnPGlite([id]);
        else if (namedStatements) {
          rows = (await client.query({ name: findByIdName, text: queries.findById, values: [id] }))
            .rows;
        } else rows = (await client.query(queries.findById, [id])).rows;
      } catch (error) {
        throw toPatkitError(error, { operation: "findById" });
      }
      return rows.length > 0 ? recordFromRow(rows[0]) : null;
    },

    async list(query: ListQuery): Promise<TokenRecord[]> {
      const values: unknown[] = [];
      if (query.owner) {
        const owner = ownerColumns(query.owner);
        values.push(
          ...[owner.user_id, owner.project_id, owner.repository_id].filter((id) => id !== null),
        );
      }
      if (query.after)
        values.push(timestamp(query.after.createdAt, "after.createdAt"), query.after.id);
      const notRevoked = query.notRevokedAt !== undefined;
      if (query.notRevokedAt !== undefined) {
        values.push(timestamp(query.notRevokedAt, "notRevokedAt"));
      }
      values.push(query.offset ?? 0, query.limit);
      const text = queries.list(query.owner?.kind ?? "all", query.after !== undefined, notRevoked);
      const rows = await run(text, values, { operation: "list" });
      return rows.map(recordFromRow);
    },

    async updateIfVersion(
      id: string,
      expectedVersion: number,
      patch: TokenPatch,
    ): Promise<TokenRecord | null> {
      if (!storable(id)) return null;
      const values: unknown[] = [id, expectedVersion];
      const sets: string[] = [];
      const set = (column: string, value: unknown, cast = "") => {
        values.push(value);
        sets.push(`${column} = $${values.length}${cast}`);
      };
      if (patch.name !== undefined) set("name", patch.name);
      if (patch.permissions !== undefined) {
        const permissions = permissionColumns(patch.permissions);
        set("project_permission", permissions.project_permission);
        set("repository_permission", permissions.repository_permission);
      }
      if (patch.expiresAt !== undefined) {
        set("expires_at", timestamp(patch.expiresAt, "expiresAt"), "::timestamptz");
      }
      if (patch.secretHash !== undefined) {
        values.push(toHex(patch.secretHash));
        sets.push(`secret_hash = decode($${values.length}, 'hex')`);
      }
      const rows = await run(queries.update(sets), values, { operation: "updateIfVersion" });
      return rows.length > 0 ? recordFromRow(rows[0]) : null;
    },

    async revoke(
      id: string,
      at: Date,
      reason: RevokedReason = "manual",
    ): Promise<TokenRecord | null> {
      if (!storable(id)) return null;
      const rows = await run(queries.revoke, [id, timestamp(at, "at"), reason], {
        operation: "revoke",
      });
      if (rows.length > 0) return recordFromRow(rows[0]);
      // Nothing changed: the token is missing or was revoked before. A new statement (a fresh
      // snapshot) reads which, including a revocation that committed while this one waited.
      return store.findById(id);
    },

    async rotate(rotation: TokenRotation): Promise<TokenRecord | null> {
      if (!storable(rotation.id)) return null;
      const record = rotation.record;
      const rows = await run(
        queries.rotate,
        [
          rotation.id,
          rotation.expectedVersion,
          timestamp(rotation.revokeAt, "revokeAt"),
          ...leadingValues(record),
          record.createdBy,
          timestamp(record.expiresAt, "expiresAt"),
          record.replaces,
        ],
        { operation: "rotate" },
      );
      if (rows.length > 0) return recordFromRow(rows[0]);
      // Nothing changed: missing, or changed, revoked or rotated since it was read.
      if ((await store.findById(rotation.id)) === null) return null;
      throw new ConflictError("The token changed, or was revoked or rotated, since it was read");
    },

    async touchLastAuthenticated(entries: readonly TouchEntry[]): Promise<void> {
      if (entries.length === 0) return;
      const batch = entries.map((entry) => ({
        id: entry.id,
        at: timestamp(entry.at, "at"),
        ip: entry.ip ?? null,
      }));
      await run(queries.touch, [JSON.stringify(batch)], { operation: "touchLastAuthenticated" });
    },

    async getPolicy(): Promise<Policy | null> {
      const rows = await run(queries.getPolicy, [], { operation: "getPolicy" });
      const row = rows[0] as PolicyColumns | undefined;
      return row === undefined ? null : policyFromColumns(row);
    },

    async putPolicy(policy: Policy): Promise<void> {
      await run(
        queries.putPolicy,
        [
          policy.expiryRequired,
          policy.maxExpiryDays,
          policy.maxTokensPerOwner ?? null,
          policy.revokeUnusedAfterDays ?? null,
        ],
        { operation: "putPolicy" },
      );
    },

    async purge(before: Date, limit?: number): Promise<number> {
      const rows = await run(maintenance.purge, [timestamp(before, "before"), limit ?? null], {
        operation: "purge",
      });
      return Number((rows[0] as { deleted: number | string }).deleted);
    },

    async findDueNotices(query: DueNoticeQuery): Promise<DueNotice[]> {
      const days = query.days.map((day) => {
        // The thresholds are written into the statement: integers only.
        if (!Number.isSafeInteger(day) || day < 1) {
          throw new ValidationError([
            { path: ["days"], message: "Expected whole days, 1 or more" },
          ]);
        }
        return day;
      });
      const rows = await run(
        maintenance.findDueNotices([...new Set(days)].sort((a, b) => b - a)),
        [timestamp(query.now, "now"), query.limit],
        { operation: "findDueNotices" },
      );
      return rows.map((row) => ({
        record: recordFromRow(row),
        noticedDays: (row as { expiry_notice_days: number | null }).expiry_notice_days,
      }));
    },

    async claimNotices(claims: readonly NoticeClaim[]): Promise<string[]> {
      if (claims.length === 0) return [];
      const batch = claims.map(({ id, from, to }) => ({ id, from, to }));
      const rows = await run(maintenance.claimNotices, [JSON.stringify(batch)], {
        operation: "claimNotices",
      });
      return rows.map((row) => (row as { id: string }).id);
    },

    async revokeUnused(query: UnusedQuery): Promise<TokenRecord[]> {
      const rows = await run(
        maintenance.revokeUnused,
        [timestamp(query.unusedSince, "unusedSince"), timestamp(query.now, "now"), query.limit],
        { operation: "revokeUnused" },
      );
      return rows.map(recordFromRow);
    },

    async listCreatedBy(query: CreatedByQuery): Promise<TokenRecord[]> {
      if (!storable(query.createdBy)) return [];
      const values: unknown[] = [query.createdBy];
      if (query.after)
        values.push(timestamp(query.after.createdAt, "after.createdAt"), query.after.id);
      values.push(query.limit);
      const rows = await run(maintenance.listCreatedBy(query.after !== undefined), values, {
        operation: "listCreatedBy",
      });
      return rows.map(recordFromRow);
    },

    async eraseUser(userId: string, pseudonym: string): Promise<UserErasure> {
      const rows = await run(maintenance.eraseUser, [userId, pseudonym], {
        operation: "eraseUser",
      });
      const row = rows[0] as { deleted: number | string; pseudonymized: number | string };
      return { deleted: Number(row.deleted), pseudonymized: Number(row.pseudonymized) };
    },
  };

  const notifications = createNotifications({
    client,
    channel: names.channel,
    listen: options.listen,
  });
  if (notifications !== null) {
    (store as { watch?: TokenStore["watch"] }).watch = (
      listener: (change: StoreChange) => void,
    ): Promise<Unwatch> => notifications.watch(listener);
  }
  return store;
}

/** PostgreSQL text cannot hold NUL, so no stored token has such an id: it is simply not found. */
function storable(id: string): boolean {
  return typeof id === "string" && !id.includes("\u0000");
}

type ListScope = "all" | "user" | "project" | "repository";

/** Every statement the store sends, built once per store from its names. */
function createQueries(names: SqlNames) {
  const { tokens } = names;
  const ownerFilters: Record<ListScope, string[]> = {
    all: [],
    user: ["owner_kind = 'user'", "user_id = $1"],
    project: ["owner_kind = 'project'", "project_id = $1"],
    repository: ["owner_kind = 'repository'", "project_id = $1", "repository_id = $2"],
  };
  const ownerParameters: Record<ListScope, number> = { all: 0, user: 1, project: 1, repository: 2 };
  const listQueries = new Map<string, string>();

  return {
    insert: `SELECT ${names.insertTokenWithLifecycle}($1, $2, $3, $4, $5, $6, $7, $8,
      decode($9, 'hex'), $10::timestamptz, $11, $12::timestamptz, $13::timestamptz,
      $14::timestamptz, $15::integer, $16::integer, $17::timestamptz, $18::text, $19::text,
      $20::text, $21::text[])`,

    findById: `SELECT ${RECORD_COLUMNS} FROM ${tokens} WHERE id = $1`,

    /**
     * Keyset or offset pagination; the index of each owner kind serves its filter and order, so
     * OFFSET skips index entries. ORDER BY names the table's columns: the bare names would be
     * the selected epoch-millisecond aliases, which no index serves (a sort of every match).
     */
    list(scope: ListScope, hasAfter: boolean, notRevoked: boolean): string {
      const key = `${scope}:${hasAfter}:${notRevoked}`;
      let text = listQueries.get(key);
      if (text === undefined) {
        const filters = [...ownerFilters[scope]];
        let next = ownerParameters[scope] + 1;
        if (hasAfter) {
          filters.push(`(created_at, id) > ($${next}::timestamptz, $${next + 1})`);
          next += 2;
        }
        if (notRevoked) {
          // Not revoked at that instant: a revocation scheduled later (a grace period) lists.
          filters.push(`(revoked_at IS NULL OR revoked_at > $${next}::timestamptz)`);
          next += 1;
        }
        const where = filters.length > 0 ? ` WHERE ${filters.join(" AND ")}` : "";
        text = `SELECT ${RECORD_COLUMNS} FROM ${tokens} AS t${where}
          ORDER BY t.created_at, t.id OFFSET $${next} LIMIT $${next + 1}`;
        listQueries.set(key, text);
      }
      return text;
    },

    /** Conditional on the version; the write-once trigger refuses `expires_at` on a set expiry. */
    update(sets: readonly string[]): string {
      return `UPDATE ${tokens} SET ${[...sets, "version = version + 1"].join(", ")}
        WHERE id = $1 AND version = $2 RETURNING ${RECORD_COLUMNS}`;
    },

    /** A revocation scheduled later than `$2` (a grace period) is brought forward. */
    revoke: `UPDATE ${tokens} SET revoked_at = $2::timestamptz, revoked_reason = $3::text,
        version = version + 1
      WHERE id = $1 AND (revoked_at IS NULL OR revoked_at > $2::timestamptz)
      RETURNING ${RECORD_COLUMNS}`,

    /**
     * One statement, so both or neither: the old token's scheduled revocation and the new
     * token's insert (only when the update matched; a plain INSERT: rotation has no limit).
     */
    rotate: `WITH old AS (
        UPDATE ${tokens} SET revoked_at = $3::timestamptz, revoked_reason = 'rotated',
          replaced_by = $4::text, version = version + 1
        WHERE id = $1 AND version = $2::integer AND revoked_at IS NULL AND replaced_by IS NULL
        RETURNING ${RECORD_COLUMNS}
      ), fresh AS (
        INSERT INTO ${tokens} (id, name, owner_kind, user_id, project_id, repository_id,
          project_permission, repository_permission, secret_hash, created_at, created_by,
          expires_at, version, replaces)
        SELECT $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text,
          decode($12::text, 'hex'), $13::timestamptz, $14::text, $15::timestamptz, 1, $16::text
        FROM old
      ) SELECT * FROM old`,

    /**
     * One statement for the batch; per id the latest entry, never moving a time back. Its
     * address goes first when the entry is the latest use, else joins at the end (at most 5).
     */
    touch: `UPDATE ${tokens} AS t SET
        last_authenticated_at = greatest(t.last_authenticated_at, e.at),
        last_used_ips = CASE
          WHEN e.ip IS NULL THEN t.last_used_ips
          WHEN t.last_authenticated_at IS NULL OR t.last_authenticated_at <= e.at
            THEN (ARRAY[e.ip] || array_remove(t.last_used_ips, e.ip))[1:5]
          WHEN e.ip = ANY (t.last_used_ips) THEN t.last_used_ips
          ELSE (t.last_used_ips || e.ip)[1:5]
        END
      FROM (
        SELECT DISTINCT ON (x.id) x.id, x.at::timestamptz AS at, x.ip
        FROM json_to_recordset($1::text::json) AS x(id text, at text, ip text)
        ORDER BY x.id, x.at::timestamptz DESC
      ) AS e
      WHERE t.id = e.id AND (t.last_authenticated_at IS NULL OR t.last_authenticated_at < e.at
        OR (e.ip IS NOT NULL AND NOT e.ip = ANY (t.last_used_ips)))`,

    getPolicy: `SELECT expiry_required, max_expiry_days, max_tokens_per_owner,
      revoke_unused_after_days FROM ${names.policy}`,

    putPolicy: `INSERT INTO ${names.policy} AS p (singleton, expiry_required, max_expiry_days,
        max_tokens_per_owner, revoke_unused_after_days)
      VALUES (true, $1::boolean, $2::integer, $3::integer, $4::integer)
      ON CONFLICT (singleton) DO UPDATE SET expiry_required = EXCLUDED.expiry_required,
        max_expiry_days = EXCLUDED.max_expiry_days,
        max_tokens_per_owner = EXCLUDED.max_tokens_per_owner,
        revoke_unused_after_days = EXCLUDED.revoke_unused_after_days, updated_at = now()`,
  };
}
