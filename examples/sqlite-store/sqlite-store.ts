/**
 * A patkit TokenStore on SQLite (better-sqlite3), written only against patkit's public API.
 * It is the worked example of docs/custom-store.md: read that first.
 */
import type Database from "better-sqlite3";
import {
  ConflictError,
  DAY_MS,
  ExpiryImmutableError,
  LimitExceededError,
  type Owner,
  type Permission,
  type Policy,
  type RevokedReason,
  StoreUnavailableError,
  type TokenStore,
} from "patkit";
import {
  type CreatedByQuery,
  type DueNotice,
  type DueNoticeQuery,
  type InsertLimit,
  isNoticeDue,
  type ListQuery,
  mergeLastUsedIps,
  type NoticeClaim,
  ownerKey,
  type TokenPatch,
  type TokenRecord,
  type TokenRotation,
  type TouchEntry,
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
  permissions TEXT NOT NULL,
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
  FOR EACH ROW WHEN OLD.expires_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'patkit: a token''s expiry is written once'); END;

CREATE TABLE IF NOT EXISTS policy (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  expiry_required INTEGER NOT NULL,
  max_expiry_days INTEGER,
  max_tokens_per_owner INTEGER,
  revoke_unused_after_days INTEGER
) STRICT;
`;

interface TokenRow {
  id: string;
  name: string;
  owner_kind: Owner["kind"];
  user_id: string | null;
  project_id: string | null;
  repository_id: string | null;
  permissions: string;
  secret_hash: Uint8Array;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  last_authenticated_at: number | null;
  revoked_at: number | null;
  version: number;
  revoked_reason: RevokedReason | null;
  replaces: string | null;
  replaced_by: string | null;
  last_used_ips: string;
  expiry_notice_days: number | null;
}

/** Creates patkit's tables in `db` if they are missing, and returns a TokenStore on them. */
export function createSqliteStore(db: Database.Database): TokenStore {
  db.exec(SCHEMA);

  const statements = {
    insert: db.prepare(`INSERT INTO tokens (id, name, owner_kind, owner_key, user_id, project_id,
      repository_id, permissions, secret_hash, created_at, created_by, expires_at,
      last_authenticated_at, revoked_at, version, revoked_reason, replaces, replaced_by,
      last_used_ips)
      VALUES (@id, @name, @owner_kind, @owner_key, @user_id, @project_id, @repository_id,
      @permissions, @secret_hash, @created_at, @created_by, @expires_at,
      @last_authenticated_at, @revoked_at, @version, @revoked_reason, @replaces, @replaced_by,
      @last_used_ips)`),
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
      max_tokens_per_owner, revoke_unused_after_days) VALUES (1, ?, ?, ?, ?)
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
    const key = ownerKey(record.owner);
    if (limit.maxTokensPerOwner !== null) {
      const { live } = statements.countLive.get(key, limit.now.getTime()) as { live: number };
      if (live >= limit.maxTokensPerOwner) throw new LimitExceededError(limit.maxTokensPerOwner);
    }
    statements.insert.run(rowFromRecord(record, key));
  });

  const updateIfVersion = db.transaction(
    (id: string, expectedVersion: number, patch: TokenPatch): TokenRecord | null => {
      const current = findRecord(id);
      if (current === null || current.version !== expectedVersion) return null;
      if (patch.expiresAt !== undefined && current.expiresAt !== null) {
        throw new ExpiryImmutableError();
      }
      const sets: string[] = ["version = version + 1"];
      const values: unknown[] = [];
      if (patch.name !== undefined) {
        sets.push("name = ?");
        values.push(patch.name);
      }
      if (patch.permissions !== undefined) {
        sets.push("permissions = ?");
        values.push(JSON.stringify(patch.permissions));
      }
      if (patch.expiresAt !== undefined) {
        sets.push("expires_at = ?");
        values.push(patch.expiresAt.getTime());
      }
      if (patch.secretHash !== undefined) {
        sets.push("secret_hash = ?");
        values.push(patch.secretHash.slice());
      }
      // The version in the WHERE clause keeps the update conditional even without the read.
      db.prepare(`UPDATE tokens SET ${sets.join(", ")} WHERE id = ? AND version = ?`).run(
        ...values,
        id,
        expectedVersion,
      );
      return findRecord(id);
    },
  );

  // Read, merge with patkit's rule, write: one transaction, so nothing slips in between.
  const touchAll = db.transaction((entries: readonly TouchEntry[]) => {
    for (const entry of entries) {
      const current = findRecord(entry.id);
      if (current === null) continue;
      const at = entry.at.getTime();
      const stored = current.lastAuthenticatedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
      const ips = mergeLastUsedIps(current.lastUsedIps, entry.ip, at >= stored);
      statements.touch.run({ id: entry.id, at: Math.max(at, stored), ips: JSON.stringify(ips) });
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
    statements.insert.run(rowFromRecord(rotation.record, ownerKey(rotation.record.owner)));
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
        const row = statements.getPolicy.get() as
          | {
              expiry_required: number;
              max_expiry_days: number | null;
              max_tokens_per_owner: number | null;
              revoke_unused_after_days: number | null;
            }
          | undefined;
        if (row === undefined) return null;
        return {
          expiryRequired: row.expiry_required === 1,
          maxExpiryDays: row.max_expiry_days,
          maxTokensPerOwner: row.max_tokens_per_owner,
          revokeUnusedAfterDays: row.revoke_unused_after_days,
        };
      });
    },
    putPolicy(policy: Policy) {
      guard("putPolicy", () =>
        statements.putPolicy.run(
          policy.expiryRequired ? 1 : 0,
          policy.maxExpiryDays,
          policy.maxTokensPerOwner ?? null,
          policy.revokeUnusedAfterDays ?? null,
        ),
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

/** Fresh values only: nothing in the row aliases the caller's record (dates become numbers). */
function rowFromRecord(record: TokenRecord, key: string) {
  const owner = record.owner;
  return {
    id: record.id,
    name: record.name,
    owner_kind: owner.kind,
    owner_key: key,
    user_id: owner.kind === "user" ? owner.userId : null,
    project_id: owner.kind === "user" ? null : owner.projectId,
    repository_id: owner.kind === "repository" ? owner.repositoryId : null,
    permissions: JSON.stringify(record.permissions),
    secret_hash: record.secretHash.slice(),
    created_at: record.createdAt.getTime(),
    created_by: record.createdBy,
    expires_at: record.expiresAt?.getTime() ?? null,
    last_authenticated_at: record.lastAuthenticatedAt?.getTime() ?? null,
    revoked_at: record.revokedAt?.getTime() ?? null,
    version: record.version,
    revoked_reason: record.revokedReason,
    replaces: record.replaces,
    replaced_by: record.replacedBy,
    last_used_ips: JSON.stringify(record.lastUsedIps),
  };
}

/** A new record from a row: new Dates, a new array, a plain Uint8Array copy of the hash. */
function recordFromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    owner: ownerFromRow(row),
    permissions: JSON.parse(row.permissions) as Permission[],
    secretHash: new Uint8Array(row.secret_hash),
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    lastAuthenticatedAt:
      row.last_authenticated_at === null ? null : new Date(row.last_authenticated_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    revokedReason: row.revoked_reason,
    replaces: row.replaces,
    replacedBy: row.replaced_by,
    lastUsedIps: JSON.parse(row.last_used_ips) as string[],
    version: row.version,
  };
}

function ownerFromRow(row: TokenRow): Owner {
  switch (row.owner_kind) {
    case "user":
      return { kind: "user", userId: row.user_id as string };
    case "project":
      return { kind: "project", projectId: row.project_id as string };
    case "repository":
      return {
        kind: "repository",
        projectId: row.project_id as string,
        repositoryId: row.repository_id as string,
      };
  }
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
    if (
      error instanceof LimitExceededError ||
      error instanceof ExpiryImmutableError ||
      error instanceof ConflictError
    )
      throw error;
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
