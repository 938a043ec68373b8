import { type SchemaOptions, type SqlNames, sqlNames } from "./names.js";

/** One step of patkit's PostgreSQL schema, as plain SQL for the given schema and prefix. */
export interface Migration {
  /** 1, 2, 3, ...: applied in this order, each once. */
  readonly version: number;
  readonly name: string;
  /** The statements, separated by semicolons; they run in one transaction. */
  readonly sql: string;
}

type MigrationTemplate = Omit<Migration, "sql"> & { readonly sql: (names: SqlNames) => string };

const PROJECT_LEVELS = "ARRAY['PROJECT_READ', 'PROJECT_WRITE', 'PROJECT_ADMIN']";
const REPOSITORY_LEVELS = "ARRAY['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN']";

/** The insert function's signature, up to its limit check (the same in migrations 1 and 2). */
function insertFunctionHead(n: SqlNames, create: string): string {
  return `${create} ${n.insertToken}(
  p_id text, p_name text, p_owner_kind text, p_user_id text, p_project_id text,
  p_repository_id text, p_project_permission text, p_repository_permission text,
  p_secret_hash bytea, p_created_at timestamptz, p_created_by text, p_expires_at timestamptz,
  p_last_authenticated_at timestamptz, p_revoked_at timestamptz, p_version integer,
  p_max_tokens integer, p_now timestamptz
) RETURNS void LANGUAGE plpgsql VOLATILE AS $patkit_fn$
DECLARE
  live bigint;
BEGIN
  IF p_max_tokens IS NOT NULL THEN
`;
}

/** The insert function after it waited its turn: count, refuse at the limit, insert. */
function insertFunctionTail(n: SqlNames): string {
  return `    IF p_owner_kind = 'user' THEN
      SELECT count(*) INTO live FROM ${n.tokens}
        WHERE owner_kind = 'user' AND user_id = p_user_id
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now);
    ELSIF p_owner_kind = 'project' THEN
      SELECT count(*) INTO live FROM ${n.tokens}
        WHERE owner_kind = 'project' AND project_id = p_project_id
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now);
    ELSE
      SELECT count(*) INTO live FROM ${n.tokens}
        WHERE owner_kind = 'repository' AND project_id = p_project_id
          AND repository_id = p_repository_id
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now);
    END IF;
    IF live >= p_max_tokens THEN
      RAISE EXCEPTION USING
        ERRCODE = 'PT001',
        MESSAGE = format('The owner already holds %s live tokens (limit %s)', live, p_max_tokens);
    END IF;
  END IF;
  INSERT INTO ${n.tokens} (
    id, name, owner_kind, user_id, project_id, repository_id, project_permission,
    repository_permission, secret_hash, created_at, created_by, expires_at,
    last_authenticated_at, revoked_at, version
  ) VALUES (
    p_id, p_name, p_owner_kind, p_user_id, p_project_id, p_repository_id, p_project_permission,
    p_repository_permission, p_secret_hash, p_created_at, p_created_by, p_expires_at,
    p_last_authenticated_at, p_revoked_at, p_version
  );
END
$patkit_fn$;
`;
}

/** The single source of truth of the schema: `migrate` runs these, `sql/postgres/` holds them. */
const TEMPLATES: readonly MigrationTemplate[] = [
  {
    version: 1,
    name: "access tokens, policy, write-once expiry, change notifications",
    sql: (
      n,
    ) => `-- patkit PostgreSQL schema, migration 1: access tokens, policy, write-once expiry, change notifications.
-- Generated for schema ${n.schema}, table prefix "${n.tablePrefix}". migrate() from "patkit/postgres" runs the same SQL.

-- One row per token. The owner and the permission levels are columns, so constraints can
-- reject impossible rows: no unknown permission, one level per scope, the owner columns of
-- the token's kind and no others, no project level on a repository token.
CREATE TABLE ${n.tokens} (
  id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  owner_kind text NOT NULL,
  user_id text,
  project_id text,
  repository_id text,
  project_permission text,
  repository_permission text NOT NULL,
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  expires_at timestamptz,
  last_authenticated_at timestamptz,
  revoked_at timestamptz,
  version integer NOT NULL,
  CONSTRAINT ${n.local("tokens_pkey")} PRIMARY KEY (id),
  CONSTRAINT tokens_id_not_empty CHECK (id <> ''),
  CONSTRAINT tokens_name_not_empty CHECK (name <> ''),
  -- coalesce: a CHECK passes when it evaluates to NULL, so a missing id must compare as ''.
  CONSTRAINT tokens_owner_columns CHECK (
    CASE owner_kind
      WHEN 'user' THEN coalesce(user_id, '') <> ''
        AND project_id IS NULL AND repository_id IS NULL
      WHEN 'project' THEN coalesce(project_id, '') <> ''
        AND user_id IS NULL AND repository_id IS NULL
      WHEN 'repository' THEN coalesce(project_id, '') <> '' AND coalesce(repository_id, '') <> ''
        AND user_id IS NULL
      ELSE false
    END
  ),
  CONSTRAINT tokens_project_permission_known CHECK (project_permission = ANY (${PROJECT_LEVELS})),
  CONSTRAINT tokens_repository_permission_known CHECK (repository_permission = ANY (${REPOSITORY_LEVELS})),
  CONSTRAINT tokens_permissions_repository_token_has_no_project_level CHECK (
    owner_kind <> 'repository' OR project_permission IS NULL
  ),
  CONSTRAINT tokens_permissions_repository_level_at_least_project_level CHECK (
    project_permission IS NULL
    OR array_position(${PROJECT_LEVELS}, project_permission)
      <= array_position(${REPOSITORY_LEVELS}, repository_permission)
  ),
  CONSTRAINT tokens_secret_hash_32_bytes CHECK (octet_length(secret_hash) = 32),
  CONSTRAINT tokens_created_by_not_empty CHECK (created_by <> ''),
  CONSTRAINT tokens_version_positive CHECK (version >= 1)
);

-- Listing one owner's tokens, and every token, in (created_at, id) order.
CREATE INDEX ${n.local("tokens_by_user")} ON ${n.tokens} (user_id, created_at, id)
  WHERE owner_kind = 'user';
CREATE INDEX ${n.local("tokens_by_project")} ON ${n.tokens} (project_id, created_at, id)
  WHERE owner_kind = 'project';
CREATE INDEX ${n.local("tokens_by_repository")} ON ${n.tokens} (project_id, repository_id, created_at, id)
  WHERE owner_kind = 'repository';
CREATE INDEX ${n.local("tokens_by_creation")} ON ${n.tokens} (created_at, id);

-- The global policy: at most one row.
CREATE TABLE ${n.policy} (
  singleton boolean NOT NULL DEFAULT true,
  expiry_required boolean NOT NULL,
  max_expiry_days integer,
  max_tokens_per_owner integer,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${n.local("policy_pkey")} PRIMARY KEY (singleton),
  CONSTRAINT policy_single_row CHECK (singleton),
  CONSTRAINT policy_max_expiry_days_positive CHECK (max_expiry_days >= 1),
  CONSTRAINT policy_max_tokens_per_owner_positive CHECK (max_tokens_per_owner >= 1)
);

-- Inserts a token unless its owner already holds p_max_tokens live ones (SQLSTATE PT001).
-- The advisory lock serializes inserts for one owner until commit; in READ COMMITTED each
-- statement of this VOLATILE function takes a fresh snapshot, so the count sees every insert
-- committed before the lock was granted. With p_max_tokens NULL there is no limit and no lock.
${insertFunctionHead(n, "CREATE FUNCTION")}    PERFORM pg_advisory_xact_lock(
      hashtext('${n.ownerLockKey}'),
      hashtext(concat_ws(':', p_owner_kind, p_user_id, p_project_id, p_repository_id))
    );
${insertFunctionTail(n)}
-- Expiry is written once: any UPDATE that sets expires_at on a row that has one fails
-- (SQLSTATE PT002), whatever the client and even when the value would stay the same.
CREATE FUNCTION ${n.refuseExpiryChange}() RETURNS trigger LANGUAGE plpgsql AS $patkit_fn$
BEGIN
  RAISE EXCEPTION USING
    ERRCODE = 'PT002',
    MESSAGE = 'A token''s expiry is written once and cannot be changed',
    TABLE = TG_TABLE_NAME,
    COLUMN = 'expires_at';
END
$patkit_fn$;

CREATE TRIGGER ${n.local("tokens_expiry_write_once")}
  BEFORE UPDATE OF expires_at ON ${n.tokens}
  FOR EACH ROW WHEN (OLD.expires_at IS NOT NULL)
  EXECUTE FUNCTION ${n.refuseExpiryChange}();

-- Tells listeners on channel '${n.channel}' which token changed, within the writing
-- transaction (delivered at commit, never for a rolled-back change). Last-authenticated
-- touches are not reported: they change nothing a verification cache decides on.
CREATE FUNCTION ${n.notifyTokenChange}() RETURNS trigger LANGUAGE plpgsql AS $patkit_fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('${n.channel}', OLD.id);
    RETURN NULL;
  END IF;
  PERFORM pg_notify('${n.channel}', NEW.id);
  IF TG_OP = 'UPDATE' THEN
    IF OLD.id <> NEW.id THEN
      PERFORM pg_notify('${n.channel}', OLD.id);
    END IF;
  END IF;
  RETURN NULL;
END
$patkit_fn$;

CREATE TRIGGER ${n.local("tokens_notify_insert_delete")}
  AFTER INSERT OR DELETE ON ${n.tokens}
  FOR EACH ROW EXECUTE FUNCTION ${n.notifyTokenChange}();

CREATE TRIGGER ${n.local("tokens_notify_update")}
  AFTER UPDATE ON ${n.tokens}
  FOR EACH ROW WHEN (
    (OLD.id, OLD.name, OLD.owner_kind, OLD.user_id, OLD.project_id, OLD.repository_id,
     OLD.project_permission, OLD.repository_permission, OLD.secret_hash, OLD.created_at,
     OLD.created_by, OLD.expires_at, OLD.revoked_at, OLD.version)
    IS DISTINCT FROM
    (NEW.id, NEW.name, NEW.owner_kind, NEW.user_id, NEW.project_id, NEW.repository_id,
     NEW.project_permission, NEW.repository_permission, NEW.secret_hash, NEW.created_at,
     NEW.created_by, NEW.expires_at, NEW.revoked_at, NEW.version)
  )
  EXECUTE FUNCTION ${n.notifyTokenChange}();
`,
  },
  {
    version: 2,
    name: "the per-owner token limit under any isolation level",
    sql: (
      n,
    ) => `-- patkit PostgreSQL schema, migration 2: the per-owner token limit under any isolation level.
-- Generated for schema ${n.schema}, table prefix "${n.tablePrefix}". migrate() from "patkit/postgres" runs the same SQL.

-- Migration 1 counted an owner's live tokens after an advisory lock, which is right only when
-- the count takes a fresh snapshot after the lock: READ COMMITTED. Under REPEATABLE READ or
-- SERIALIZABLE (a server, database or role default patkit does not control) the snapshot
-- predates the lock and concurrent inserts all counted the same tokens.
--
-- Now every insert under a limit first updates its owner's row here. Under READ COMMITTED the
-- update waits for the owner's other inserts to commit and the count that follows sees them.
-- Under REPEATABLE READ and SERIALIZABLE an insert whose snapshot misses one of them fails to
-- update the row (SQLSTATE 40001) instead of counting too few; the store runs it again.
-- The key is a hash of the owner, so no host id is kept here; two owners sharing a hash only
-- share the queue.
CREATE TABLE ${n.ownerInserts} (
  owner_hash bigint NOT NULL,
  inserts bigint NOT NULL,
  CONSTRAINT ${n.local("owner_inserts_pkey")} PRIMARY KEY (owner_hash)
);

-- Inserts a token unless its owner already holds p_max_tokens live ones (SQLSTATE PT001).
-- With p_max_tokens NULL there is no limit, nothing to count and nothing to queue behind.
${insertFunctionHead(n, "CREATE OR REPLACE FUNCTION")}    INSERT INTO ${n.ownerInserts} AS o (owner_hash, inserts)
      VALUES (
        hashtextextended(
          jsonb_build_array(p_owner_kind, p_user_id, p_project_id, p_repository_id)::text, 0
        ),
        1
      )
      ON CONFLICT (owner_hash) DO UPDATE SET inserts = o.inserts + 1;
${insertFunctionTail(n)}`,
  },
  {
    version: 3,
    name: "lifecycle: revocation reasons, rotation links, last-used client addresses",
    sql: (
      n,
    ) => `-- patkit PostgreSQL schema, migration 3: lifecycle (revocation reasons, rotation links, last-used client addresses).
-- Generated for schema ${n.schema}, table prefix "${n.tablePrefix}". migrate() from "patkit/postgres" runs the same SQL.
-- Adding nullable columns, and one with a constant default, rewrites nothing.

-- Why a token was revoked (NULL: it is not, or it was revoked before reasons were recorded).
-- revoked_at may lie ahead: a rotated token works until the end of its grace period.
ALTER TABLE ${n.tokens} ADD COLUMN revoked_reason text;
ALTER TABLE ${n.tokens} ADD CONSTRAINT tokens_revoked_reason_known
  CHECK (revoked_reason = ANY (ARRAY['manual', 'rotated', 'leaked', 'unused']));

-- Rotation links: the token this one replaced, and the one that replaced it.
ALTER TABLE ${n.tokens} ADD COLUMN replaces text COLLATE "C";
ALTER TABLE ${n.tokens} ADD COLUMN replaced_by text COLLATE "C";

-- Up to 5 distinct client addresses, most recent first, written with last_authenticated_at.
ALTER TABLE ${n.tokens} ADD COLUMN last_used_ips text[] NOT NULL DEFAULT '{}';
ALTER TABLE ${n.tokens} ADD CONSTRAINT tokens_last_used_ips_at_most_5
  CHECK (cardinality(last_used_ips) <= 5);

-- insert_token (whichever migration defined it last: its limit check stays its own) followed,
-- in the same statement, by the lifecycle columns when a record has any (new tokens do not).
-- Rotation inserts without it: a rotation never counts against the per-owner limit.
CREATE FUNCTION ${n.insertTokenWithLifecycle}(
  p_id text, p_name text, p_owner_kind text, p_user_id text, p_project_id text,
  p_repository_id text, p_project_permission text, p_repository_permission text,
  p_secret_hash bytea, p_created_at timestamptz, p_created_by text, p_expires_at timestamptz,
  p_last_authenticated_at timestamptz, p_revoked_at timestamptz, p_version integer,
  p_max_tokens integer, p_now timestamptz, p_revoked_reason text, p_replaces text,
  p_replaced_by text, p_last_used_ips text[]
) RETURNS void LANGUAGE plpgsql VOLATILE AS $patkit_fn$
BEGIN
  PERFORM ${n.insertToken}(
    p_id, p_name, p_owner_kind, p_user_id, p_project_id, p_repository_id, p_project_permission,
    p_repository_permission, p_secret_hash, p_created_at, p_created_by, p_expires_at,
    p_last_authenticated_at, p_revoked_at, p_version, p_max_tokens, p_now
  );
  IF p_revoked_reason IS NOT NULL OR p_replaces IS NOT NULL OR p_replaced_by IS NOT NULL
    OR cardinality(p_last_used_ips) > 0 THEN
    UPDATE ${n.tokens} SET revoked_reason = p_revoked_reason, replaces = p_replaces,
      replaced_by = p_replaced_by, last_used_ips = coalesce(p_last_used_ips, '{}')
      WHERE id = p_id;
  END IF;
END
$patkit_fn$;
`,
  },
  {
    version: 4,
    name: "maintenance: expiry notice marks, unused tokens, retention, a user's data",
    sql: (
      n,
    ) => `-- patkit PostgreSQL schema, migration 4: maintenance (expiry notice marks, unused tokens, retention, a user's data).
-- Generated for schema ${n.schema}, table prefix "${n.tablePrefix}". migrate() from "patkit/postgres" runs the same SQL.
-- Adding the nullable columns rewrites nothing; the indexes are built under a lock that blocks
-- writes to the tokens table until they are done (seconds per million tokens).

-- The expiry notice mark: the fewest days left announced so far (NULL: none yet; 0: the expiry
-- itself was announced, or passed over). Maintenance claims a notice by moving it, conditionally.
ALTER TABLE ${n.tokens} ADD COLUMN expiry_notice_days integer;
ALTER TABLE ${n.tokens} ADD CONSTRAINT tokens_expiry_notice_days_not_negative
  CHECK (expiry_notice_days >= 0);

-- Revoke live tokens unused for this many days (NULL: never).
ALTER TABLE ${n.policy} ADD COLUMN revoke_unused_after_days integer;
ALTER TABLE ${n.policy} ADD CONSTRAINT policy_revoke_unused_after_days_positive
  CHECK (revoke_unused_after_days >= 1);

-- Due notices: live tokens with an expiry whose last notice is not the final one, by mark and
-- expiry, so each run seeks straight to what is due (nothing, most of the time).
CREATE INDEX ${n.local("tokens_notice_due")} ON ${n.tokens} (expiry_notice_days, expires_at)
  WHERE revoked_at IS NULL AND expires_at IS NOT NULL
    AND (expiry_notice_days IS NULL OR expiry_notice_days > 0);

-- Unused tokens: unrevoked ones by last use (or creation); the expiry rides along so expired
-- tokens are skipped inside the index.
CREATE INDEX ${n.local("tokens_unused")} ON ${n.tokens}
  ((coalesce(last_authenticated_at, created_at)), expires_at)
  WHERE revoked_at IS NULL;

-- Retention: tokens revoked or expired before an instant.
CREATE INDEX ${n.local("tokens_revoked_at")} ON ${n.tokens} (revoked_at)
  WHERE revoked_at IS NOT NULL;
CREATE INDEX ${n.local("tokens_expires_at")} ON ${n.tokens} (expires_at)
  WHERE expires_at IS NOT NULL;

-- A user's data: the tokens they created, to export or pseudonymize.
CREATE INDEX ${n.local("tokens_by_creator")} ON ${n.tokens} (created_by, created_at, id);
`,
  },
];

/** The latest schema version this release of patkit knows. */
export const LATEST_SCHEMA_VERSION = Math.max(...TEMPLATES.map((template) => template.version));

/**
 * patkit's migrations as plain SQL for `schema` and `tablePrefix`, for teams that apply
 * migrations with their own tool instead of {@link migrate}. Apply each once, in order, each in
 * one transaction. Use one way or the other: `migrate` does not know what another tool applied.
 */
export function renderMigrations(options: SchemaOptions = {}): Migration[] {
  const names = sqlNames(options);
  return TEMPLATES.map((template) => ({
    version: template.version,
    name: template.name,
    sql: template.sql(names),
  }));
}
