-- patkit PostgreSQL schema, migration 1: access tokens, policy, write-once expiry, change notifications.
-- Generated for schema public, table prefix "patkit_". migrate() from "patkit/postgres" runs the same SQL.

-- One row per token. The owner and the permission levels are columns, so constraints can
-- reject impossible rows: no unknown permission, one level per scope, the owner columns of
-- the token's kind and no others, no project level on a repository token.
CREATE TABLE "public"."patkit_tokens" (
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
  CONSTRAINT "patkit_tokens_pkey" PRIMARY KEY (id),
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
  CONSTRAINT tokens_project_permission_known CHECK (project_permission = ANY (ARRAY['PROJECT_READ', 'PROJECT_WRITE', 'PROJECT_ADMIN'])),
  CONSTRAINT tokens_repository_permission_known CHECK (repository_permission = ANY (ARRAY['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN'])),
  CONSTRAINT tokens_permissions_repository_token_has_no_project_level CHECK (
    owner_kind <> 'repository' OR project_permission IS NULL
  ),
  CONSTRAINT tokens_permissions_repository_level_at_least_project_level CHECK (
    project_permission IS NULL
    OR array_position(ARRAY['PROJECT_READ', 'PROJECT_WRITE', 'PROJECT_ADMIN'], project_permission)
      <= array_position(ARRAY['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN'], repository_permission)
  ),
  CONSTRAINT tokens_secret_hash_32_bytes CHECK (octet_length(secret_hash) = 32),
  CONSTRAINT tokens_created_by_not_empty CHECK (created_by <> ''),
  CONSTRAINT tokens_version_positive CHECK (version >= 1)
);

-- Listing one owner's tokens, and every token, in (created_at, id) order.
CREATE INDEX "patkit_tokens_by_user" ON "public"."patkit_tokens" (user_id, created_at, id)
  WHERE owner_kind = 'user';
CREATE INDEX "patkit_tokens_by_project" ON "public"."patkit_tokens" (project_id, created_at, id)
  WHERE owner_kind = 'project';
CREATE INDEX "patkit_tokens_by_repository" ON "public"."patkit_tokens" (project_id, repository_id, created_at, id)
  WHERE owner_kind = 'repository';
CREATE INDEX "patkit_tokens_by_creation" ON "public"."patkit_tokens" (created_at, id);

-- The global policy: at most one row.
CREATE TABLE "public"."patkit_policy" (
  singleton boolean NOT NULL DEFAULT true,
  expiry_required boolean NOT NULL,
  max_expiry_days integer,
  max_tokens_per_owner integer,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "patkit_policy_pkey" PRIMARY KEY (singleton),
  CONSTRAINT policy_single_row CHECK (singleton),
  CONSTRAINT policy_max_expiry_days_positive CHECK (max_expiry_days >= 1),
  CONSTRAINT policy_max_tokens_per_owner_positive CHECK (max_tokens_per_owner >= 1)
);

-- Inserts a token unless its owner already holds p_max_tokens live ones (SQLSTATE PT001).
-- The advisory lock serializes inserts for one owner until commit; in READ COMMITTED each
-- statement of this VOLATILE function takes a fresh snapshot, so the count sees every insert
-- committed before the lock was granted. With p_max_tokens NULL there is no limit and no lock.
CREATE FUNCTION "public"."patkit_insert_token"(
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
    PERFORM pg_advisory_xact_lock(
      hashtext('patkit.owner:public.patkit_'),
      hashtext(concat_ws(':', p_owner_kind, p_user_id, p_project_id, p_repository_id))
    );
    IF p_owner_kind = 'user' THEN
      SELECT count(*) INTO live FROM "public"."patkit_tokens"
        WHERE owner_kind = 'user' AND user_id = p_user_id
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now);
    ELSIF p_owner_kind = 'project' THEN
      SELECT count(*) INTO live FROM "public"."patkit_tokens"
        WHERE owner_kind = 'project' AND project_id = p_project_id
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now);
    ELSE
      SELECT count(*) INTO live FROM "public"."patkit_tokens"
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
  INSERT INTO "public"."patkit_tokens" (
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

-- Expiry is written once: any UPDATE that sets expires_at on a row that has one fails
-- (SQLSTATE PT002), whatever the client and even when the value would stay the same.
CREATE FUNCTION "public"."patkit_refuse_expiry_change"() RETURNS trigger LANGUAGE plpgsql AS $patkit_fn$
BEGIN
  RAISE EXCEPTION USING
    ERRCODE = 'PT002',
    MESSAGE = 'A token''s expiry is written once and cannot be changed',
    TABLE = TG_TABLE_NAME,
    COLUMN = 'expires_at';
END
$patkit_fn$;

CREATE TRIGGER "patkit_tokens_expiry_write_once"
  BEFORE UPDATE OF expires_at ON "public"."patkit_tokens"
  FOR EACH ROW WHEN (OLD.expires_at IS NOT NULL)
  EXECUTE FUNCTION "public"."patkit_refuse_expiry_change"();

-- Tells listeners on channel 'public.patkit_tokens' which token changed, within the writing
-- transaction (delivered at commit, never for a rolled-back change). Last-authenticated
-- touches are not reported: they change nothing a verification cache decides on.
CREATE FUNCTION "public"."patkit_notify_token_change"() RETURNS trigger LANGUAGE plpgsql AS $patkit_fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('public.patkit_tokens', OLD.id);
    RETURN NULL;
  END IF;
  PERFORM pg_notify('public.patkit_tokens', NEW.id);
  IF TG_OP = 'UPDATE' THEN
    IF OLD.id <> NEW.id THEN
      PERFORM pg_notify('public.patkit_tokens', OLD.id);
    END IF;
  END IF;
  RETURN NULL;
END
$patkit_fn$;

CREATE TRIGGER "patkit_tokens_notify_insert_delete"
  AFTER INSERT OR DELETE ON "public"."patkit_tokens"
  FOR EACH ROW EXECUTE FUNCTION "public"."patkit_notify_token_change"();

CREATE TRIGGER "patkit_tokens_notify_update"
  AFTER UPDATE ON "public"."patkit_tokens"
  FOR EACH ROW WHEN (
    (OLD.id, OLD.name, OLD.owner_kind, OLD.user_id, OLD.project_id, OLD.repository_id,
     OLD.project_permission, OLD.repository_permission, OLD.secret_hash, OLD.created_at,
     OLD.created_by, OLD.expires_at, OLD.revoked_at, OLD.version)
    IS DISTINCT FROM
    (NEW.id, NEW.name, NEW.owner_kind, NEW.user_id, NEW.project_id, NEW.repository_id,
     NEW.project_permission, NEW.repository_permission, NEW.secret_hash, NEW.created_at,
     NEW.created_by, NEW.expires_at, NEW.revoked_at, NEW.version)
  )
  EXECUTE FUNCTION "public"."patkit_notify_token_change"();
