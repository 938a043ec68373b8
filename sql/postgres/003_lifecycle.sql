-- patkit PostgreSQL schema, migration 3: lifecycle (revocation reasons, rotation links, last-used client addresses).
-- Generated for schema public, table prefix "patkit_". migrate() from "patkit/postgres" runs the same SQL.
-- Adding nullable columns, and one with a constant default, rewrites nothing.

-- Why a token was revoked (NULL: it is not, or it was revoked before reasons were recorded).
-- revoked_at may lie ahead: a rotated token works until the end of its grace period.
ALTER TABLE "public"."patkit_tokens" ADD COLUMN revoked_reason text;
ALTER TABLE "public"."patkit_tokens" ADD CONSTRAINT tokens_revoked_reason_known
  CHECK (revoked_reason = ANY (ARRAY['manual', 'rotated', 'leaked', 'unused']));

-- Rotation links: the token this one replaced, and the one that replaced it.
ALTER TABLE "public"."patkit_tokens" ADD COLUMN replaces text COLLATE "C";
ALTER TABLE "public"."patkit_tokens" ADD COLUMN replaced_by text COLLATE "C";

-- Up to 5 distinct client addresses, most recent first, written with last_authenticated_at.
ALTER TABLE "public"."patkit_tokens" ADD COLUMN last_used_ips text[] NOT NULL DEFAULT '{}';
ALTER TABLE "public"."patkit_tokens" ADD CONSTRAINT tokens_last_used_ips_at_most_5
  CHECK (cardinality(last_used_ips) <= 5);

-- insert_token stores the new columns too (rotation inserts without it: no per-owner limit).
DROP FUNCTION "public"."patkit_insert_token"(text, text, text, text, text, text, text, text, bytea, timestamptz,
  text, timestamptz, timestamptz, timestamptz, integer, integer, timestamptz);

CREATE FUNCTION "public"."patkit_insert_token"(
  p_id text, p_name text, p_owner_kind text, p_user_id text, p_project_id text,
  p_repository_id text, p_project_permission text, p_repository_permission text,
  p_secret_hash bytea, p_created_at timestamptz, p_created_by text, p_expires_at timestamptz,
  p_last_authenticated_at timestamptz, p_revoked_at timestamptz, p_version integer,
  p_max_tokens integer, p_now timestamptz, p_revoked_reason text, p_replaces text,
  p_replaced_by text, p_last_used_ips text[]
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
    last_authenticated_at, revoked_at, version, revoked_reason, replaces, replaced_by,
    last_used_ips
  ) VALUES (
    p_id, p_name, p_owner_kind, p_user_id, p_project_id, p_repository_id, p_project_permission,
    p_repository_permission, p_secret_hash, p_created_at, p_created_by, p_expires_at,
    p_last_authenticated_at, p_revoked_at, p_version, p_revoked_reason, p_replaces,
    p_replaced_by, coalesce(p_last_used_ips, '{}')
  );
END
$patkit_fn$;
