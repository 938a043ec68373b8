-- patkit PostgreSQL schema, migration 2: the per-owner token limit under any isolation level.
-- Generated for schema public, table prefix "patkit_". migrate() from "patkit/postgres" runs the same SQL.

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
CREATE TABLE "public"."patkit_owner_inserts" (
  owner_hash bigint NOT NULL,
  inserts bigint NOT NULL,
  CONSTRAINT "patkit_owner_inserts_pkey" PRIMARY KEY (owner_hash)
);

-- Inserts a token unless its owner already holds p_max_tokens live ones (SQLSTATE PT001).
-- With p_max_tokens NULL there is no limit, nothing to count and nothing to queue behind.
CREATE OR REPLACE FUNCTION "public"."patkit_insert_token"(
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
    INSERT INTO "public"."patkit_owner_inserts" AS o (owner_hash, inserts)
      VALUES (
        hashtextextended(
          jsonb_build_array(p_owner_kind, p_user_id, p_project_id, p_repository_id)::text, 0
        ),
        1
      )
      ON CONFLICT (owner_hash) DO UPDATE SET inserts = o.inserts + 1;
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
