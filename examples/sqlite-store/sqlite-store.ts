/**
 * A patkit TokenStore on SQLite (better-sqlite3), written only against patkit's public API.
 * It is the worked example of docs/custom-store.md: read that first.
 */
import type Database from "better-sqlite3";
import {
  ConflictError,
  DAY_MS,
  ExpiryImmutableError,
  PatkitError,
  type Policy,
  type RevokedReason,
  StoreUnavailableError,
  type TokenStore,
} from "patkit";
import {
  applyPatch,
  type CreatedByQuery,
  type DueNotice,
  type DueNoticeQuery,
  type InsertLimit,
  isNoticeDue,
  LimitExceededError,
  type ListQuery,
  type NoticeClaim,
  ownerKey,
  type PolicyColumns,
  policyColumns,
  policyFromColumns,
  recordFromColumns,
  type TokenColumns,
  type TokenPatch,
  type TokenRecord,
  type TokenRotation,
  type TouchEntry,
  tokenColumns,
  touchedFields,
  type UnusedQuery,
  type UserErasure,
} from "patkit/store";

/**
 * Times are integers (epoch milliseconds), so they round-trip exactly. `id` uses SQLite's
 * default BINARY collation: case-sensitive, and ordered by code unit as patkit's listings are.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'project', 'repository')),
  owner_key TEXT NOT NULL,
  user_id TEXT,
  project_id TEXT,
  repository_id TEXT,
  project_permission TEXT CHECK (project_permission IN ('PROJECT_READ', 'PROJECT_WRITE',
    'PROJECT_ADMIN')),
  repository_permission TEXT NOT NULL CHECK (repository_permission IN ('REPO_READ', 'REPO_WRITE',
    'REPO_ADMIN')),
  secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  expires_at INTEGER,
  last_authenticated_at INTEGER,
  revoked_at INTEGER,
  version INTEGER NOT NULL,
  -- Why it is revoked; revoked_at may lie ahead (a rotated token's grace period).
  revoked_reason TEXT CHECK (revoked_reason IN ('manual', 'rotated', 'leaked', 'unused')),
  replaces TEXT,
  replaced_by TEXT,
  -- Up to 5 client addresses, most recent first, as a JSON array.
  last_used_ips TEXT NOT NULL DEFAULT '[]',
  -- The fewest days left announced by an expiry notice (NULL: none yet; 0: the expiry itself).
  expiry_notice_days INTEGER CHECK (expiry_notice_days >= 0)
) STRICT;
CREATE INDEX IF NOT EXISTS tokens_by_owner ON tokens (owner_key, created_at, id);
CREATE INDEX IF NOT EXISTS tokens_by_creation ON tokens (created_at, id);
CREATE INDEX IF NOT EXISTS tokens_by_creator ON tokens (created_by, created_at, id);
-- Maintenance: due notices by expiry, unused tokens by last use, purges by revocation time.
CREATE INDEX IF NOT EXISTS tokens_notice_due ON tokens (expires_at)
  WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND coalesce(expiry_notice_days, 1) > 0;
CREATE INDEX IF NOT EXISTS tokens_unused ON tokens (coalesce(last_authenticated_at, created_at))
  WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS tokens_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- Defence in depth: even a hand-written UPDATE cannot change an expiry once it is set.
CREATE TRIGGER IF NOT EXISTS tokens_expiry_write_once
  BEFORE UPDATE OF expires_at ON tokens
  FOR EACH ROW WHEN OLD.expires_at IS NOT NULL AND NEW.expires_at IS NOT OLD.expires_at
  BEGIN SELECT RAISE(ABORT, 'patkit: a token''s expiry is written once'); END;

CREATE TABLE IF NOT EXISTS policy (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  expiry_required INTEGER NOT NULL,
  max_expiry_days INTEGER,
  max_tokens_per_owner INTEGER,
  revoke_unused_after_days INTEGER
) STRICT;
`;

/** A row as SQLite returns it: patkit's columns, the addresses as JSON text (SQLite has no arrays). */
type TokenRow = Omit<TokenColumns, "last_used_ips"> & {
  last_used_ips: string;
  expiry_notice_days: number | null;
};

/** Creates patkit's tables in `db` if they are missing, and returns a TokenStore on them. */
export function createSqliteStore(db: Database.Database): TokenStore {
  db.exec(SCHEMA);

  const statements = {
    insert: db.prepare(`INSERT INTO tokens (id, name, owner_kind, owner_key, user_id, project_id,
      repository_id, project_permission, repository_permission, secret_hash, created_at,
      created_by, expires_at, last_authenticated_at, revoked_at, version, revoked_reason,
      replaces, replaced_by, last_used_ips)
      VALUES (@id, @name, @owner_kind, @owner_key, @user_id, @project_id, @repository_id,
      @project_permission, @repository_permission, @secret_hash, @created_at, @created_by,
      @expires_at, @last_authenticated_at, @revoked_at, @version, @revoked_reason, @replaces,
      @replaced_by, @last_used_ips)`),
    // The whole patched record, conditional on the version it was read at.
    update: db.prepare(`UPDATE tokens SET name = @name, project_permission = @project_permission,
      repository_permission = @repository_permission, expires_at = @expires_at,
      secret_hash = @secret_hash, version = @version WHERE id = @id AND version = @version - 1`),
    countLive: db.prepare(`SELECT count(*) AS live FROM tokens WHERE owner_key = ?
      AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`),
    findById: db.prepare("SELECT * FROM tokens WHERE id = ?"),
    // A revocation scheduled later (a rotated token's grace period) is brought forward.
    revoke: db.prepare(`UPDATE tokens SET revoked_at = @at, revoked_reason = @reason,
      version = version + 1 WHERE id = @id AND (revoked_at IS NULL OR revoked_at > @at)`),
    rotateOld: db.prepare(`UPDATE tokens SET revoked_at = @revoke_at, revoked_reason = 'rotated',
      replaced_by = @replaced_by, version = version + 1
      WHERE id = @id AND version = @version AND revoked_at IS NULL AND replaced_by IS NULL`),
    touch: db.prepare(`UPDATE tokens SET last_authenticated_at = @at, last_used_ips = @ips
      WHERE id = @id`),
    getPolicy: db.prepare("SELECT * FROM policy WHERE singleton = 1"),
    putPolicy: db.prepare(`INSERT INTO policy (singleton, expiry_required, max_expiry_days,
      max_tokens_per_owner, revoke_unused_after_days) VALUES (1, @expiry_required,
      @max_expiry_days, @max_tokens_per_owner, @revoke_unused_after_days)
      ON CONFLICT (singleton) DO UPDATE SET
      expiry_required = excluded.expiry_required, max_expiry_days = excluded.max_expiry_days,
      max_tokens_per_owner = excluded.max_tokens_per_owner,
      revoke_unused_after_days = excluded.revoke_unused_after_days`),
    purge: db.prepare(`DELETE FROM tokens WHERE id IN (SELECT id FROM tokens
      WHERE revoked_at < @at OR expires_at < @at LIMIT @limit)`),
    // Within the largest threshold (or expired): the few candidates; patkit's isNoticeDue decides.
    noticeCandidates: db.prepare(`SELECT * FROM tokens WHERE revoked_at IS NULL
      AND expires_at IS NOT NULL AND coalesce(expiry_notice_days, 1) > 0 AND expires_at <= ?`),
    claimNotice: db.prepare(`UPDATE tokens SET expiry_notice_days = @to WHERE id = @id
      AND revoked_at IS NULL AND expiry_notice_days IS @from`),
    unused: db.prepare(`SELECT id FROM tokens WHERE revoked_at IS NULL
      AND coalesce(last_authenticated_at, created_at) <= ? AND (expires_at IS NULL OR expires_at > ?)
      LIMIT ?`),
    revokeUnused: db.prepare(`UPDATE tokens SET revoked_at = ?, revoked_reason = 'unused',
      version = version + 1 WHERE id = ? AND revoked_at IS NULL`),
    deletePersonal: db.prepare("DELETE FROM tokens WHERE owner_key = ?"),
    // The user may have used a token they created: its addresses go too.
    pseudonymize: db.prepare(
      "UPDATE tokens SET created_by = ?, last_used_ips = '[]' WHERE created_by = ?",
    ),
  };

  function findRecord(id: string): TokenRecord | null {
    const row = statements.findById.get(id) as TokenRow | undefined;
    return row === undefined ? null : recordFromRow(row);
  }

  // The limit check and the insert must be one step. better-sqlite3 is synchronous, so nothing
  // else in this process runs in between; IMMEDIATE takes SQLite's write lock before counting,
  // so other processes sharing the file wait too.
  const insertWithinLimit = db.transaction((record: TokenRecord, limit: InsertLimit) => {
    const row = rowFromRecord(record);
    if (limit.maxTokensPerOwner !== null) {
      const { live } = statements.countLive.get(row.owner_key, limit.now.getTime()) as {
        live: number;
      };
      if (live >= limit.maxTokensPerOwner) throw new LimitExceededError(limit.maxTokensPerOwner);
    }
    statements.insert.run(row);
  });

  // Read, patch by patkit's rule (write-once expiry), write: one transaction.
  const updateIfVersion = db.transaction(
    (id: string, expectedVersion: number, patch: TokenPatch): TokenRecord | null => {
      const current = findRecord(id);
      if (current === null || current.version !== expectedVersion) return null;
      statements.update.run(rowFromRecord(applyPatch(current, patch)));
      return findRecord(id);
    },
  );

  // Read, merge with patkit's rule, write: one transaction, so nothing slips in between.
  const touchAll = db.transaction((entries: readonly TouchEntry[]) => {
    for (const entry of entries) {
      const current = findRecord(entry.id);
      const touched = current && touchedFields(current, entry);
      if (!touched) continue;
      statements.touch.run({
        id: entry.id,
        at: touched.lastAuthenticatedAt?.getTime() ?? null,
        ips: JSON.stringify(touched.lastUsedIps),
      });
    }
  });

  // The old token's scheduled end and the new token's insert: both or neither.
  const rotate = db.transaction((rotation: TokenRotation): TokenRecord | null => {
    const old = findRecord(rotation.id);
    if (old === null) return null;
    const changed = statements.rotateOld.run({
      id: rotation.id,
      version: rotation.expectedVersion,
      revoke_at: rotation.revokeAt.getTime(),
      replaced_by: rotation.record.id,
    }).changes;
    if (changed === 0) {
      throw new ConflictError("The token changed, or was revoked or rotated, since it was read");
    }
    statements.insert.run(rowFromRecord(rotation.record));
    return findRecord(rotation.id);
  });

  // Each claim is conditional on the mark it expects; the transaction makes the batch one step.
  const claimNotices = db.transaction((claims: readonly NoticeClaim[]): string[] =>
    claims.flatMap((claim) =>
      statements.claimNotice.run({ id: claim.id, from: claim.from, to: claim.to }).changes > 0
        ? [claim.id]
        : [],
    ),
  );

  const revokeUnused = db.transaction((query: UnusedQuery): TokenRecord[] => {
    const at = query.now.getTime();
    const rows = statements.unused.all(query.unusedSince.getTime(), at, query.limit) as {
      id: string;
    }[];
    for (const { id } of rows) statements.revokeUnused.run(at, id);
    return rows.map(({ id }) => findRecord(id) as TokenRecord);
  });

  const eraseUser = db.transaction((userId: string, pseudonym: string): UserErasure => {
    const deleted = statements.deletePersonal.run(ownerKey({ kind: "user", userId })).changes;
    const pseudonymized = statements.pseudonymize.run(pseudonym, userId).changes;
    return { deleted, pseudonymized };
  });

  const revoke = db.transaction(
    (id: string, at: Date, reason: RevokedReason): TokenRecord | null => {
      statements.revoke.run({ id, at: at.getTime(), reason });
      return findRecord(id);
    },
  );

  return {
    insert(record, limit) {
      guard("insert", () => insertWithinLimit.immediate(record, limit));
    },
    findById(id) {
      return guard("findById", () => findRecord(id));
    },
    list(query: ListQuery) {
      return guard("list", () => {
        const where: string[] = [];
        const values: unknown[] = [];
        if (query.owner) {
          where.push("owner_key = ?");
          values.push(ownerKey(query.owner));
        }
        if (query.after) {
          where.push("(created_at, id) > (?, ?)");
          values.push(query.after.createdAt.getTime(), query.after.id);
        }
        if (query.notRevokedAt) {
          // Not revoked at that instant: a revocation scheduled later (a grace period) lists.
          where.push("(revoked_at IS NULL OR revoked_at > ?)");
          values.push(query.notRevokedAt.getTime());
        }
        const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
        const rows = db
          .prepare(`SELECT * FROM tokens ${filter} ORDER BY created_at, id LIMIT ? OFFSET ?`)
          .all(...values, query.limit, query.offset ?? 0) as TokenRow[];
        return rows.map(recordFromRow);
      });
    },
    updateIfVersion(id, expectedVersion, patch) {
      return guard("updateIfVersion", () => updateIfVersion.immediate(id, expectedVersion, patch));
    },
    revoke(id, at, reason = "manual") {
      return guard("revoke", () => revoke.immediate(id, at, reason));
    },
    rotate(rotation) {
      return guard("rotate", () => rotate.immediate(rotation));
    },
    touchLastAuthenticated(entries) {
      guard("touchLastAuthenticated", () => touchAll.immediate(entries));
    },
    getPolicy() {
      return guard("getPolicy", () => {
        const row = statements.getPolicy.get() as PolicyColumns | undefined;
        return row === undefined ? null : policyFromColumns(row);
      });
    },
    putPolicy(policy: Policy) {
      const columns = policyColumns(policy);
      // SQLite has no booleans: 0 or 1.
      guard("putPolicy", () =>
        statements.putPolicy.run({ ...columns, expiry_required: Number(columns.expiry_required) }),
      );
    },
    purge(before, limit) {
      return guard("purge", () => {
        return statements.purge.run({ at: before.getTime(), limit: limit ?? -1 }).changes;
      });
    },
    findDueNotices(query: DueNoticeQuery): DueNotice[] {
      return guard("findDueNotices", () => {
        const largest = Math.max(0, ...query.days);
        const rows = statements.noticeCandidates.all(
          query.now.getTime() + largest * DAY_MS,
        ) as TokenRow[];
        const due: DueNotice[] = [];
        for (const row of rows) {
          if (due.length >= query.limit) break;
          const expiresAt = new Date(row.expires_at as number);
          if (isNoticeDue(expiresAt, row.expiry_notice_days, query.days, query.now)) {
            due.push({ record: recordFromRow(row), noticedDays: row.expiry_notice_days });
          }
        }
        return due;
      });
    },
    claimNotices(claims) {
      return guard("claimNotices", () => claimNotices.immediate(claims));
    },
    revokeUnused(query) {
      return guard("revokeUnused", () => revokeUnused.immediate(query));
    },
    listCreatedBy(query: CreatedByQuery) {
      return guard("listCreatedBy", () => {
        const after = query.after;
        const rows = db
          .prepare(`SELECT * FROM tokens WHERE created_by = ?
            ${after ? "AND (created_at, id) > (?, ?)" : ""} ORDER BY created_at, id LIMIT ?`)
          .all(
            query.createdBy,
            ...(after ? [after.createdAt.getTime(), after.id] : []),
            query.limit,
          ) as TokenRow[];
        return rows.map(recordFromRow);
      });
    },
    eraseUser(userId, pseudonym) {
      return guard("eraseUser", () => eraseUser.immediate(userId, pseudonym));
    },
    // No watch(): SQLite cannot tell other processes about a change, and a watch that misses
    // changes would let caches serve revoked tokens. A store without watch is fine.
  };
}

/** patkit's columns, with the addresses as JSON text. */
function rowFromRecord(record: TokenRecord) {
  const columns = tokenColumns(record);
  return { ...columns, last_used_ips: JSON.stringify(columns.last_used_ips) };
}

/** A new record from a row: nothing in it aliases the row. */
function recordFromRow(row: TokenRow): TokenRecord {
  return recordFromColumns({ ...row, last_used_ips: JSON.parse(row.last_used_ips) as string[] });
}

/**
 * Runs one store operation and gives every failure a patkit type: a duplicate id is a
 * ConflictError, patkit's own errors pass through, and anything else (a locked or corrupt
 * database, a full disk) is a StoreUnavailableError with the cause, so verification fails closed.
 */
function guard<T>(operation: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof PatkitError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      throw new ConflictError("A token with this id exists");
    }
    if (String((error as Error).message).includes("expiry is written once")) {
      throw new ExpiryImmutableError();
    }
    throw new StoreUnavailableError(`The SQLite token store failed (${operation})`, {
      cause: error,
    });
  }
}
