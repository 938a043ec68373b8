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

-- insert_token (whichever migration defined it last: its limit check stays its own) followed,
-- in the same statement, by the lifecycle columns when a record has any (new tokens do not).
-- Rotation inserts without it: a rotation never counts against the per-owner limit.
CREATE FUNCTION "public"."patkit_insert_token_with_lifecycle"(
  p_id text, p_name text, p_owner_kind text, p_user_id text, p_project_id text,
  p_repository_id text, p_project_permission text, p_repository_permission text,
  p_secret_hash bytea, p_created_at timestamptz, p_created_by text, p_expires_at timestamptz,
  p_last_authenticated_at timestamptz, p_revoked_at timestamptz, p_version integer,
  p_max_tokens integer, p_now timestamptz, p_revoked_reason text, p_replaces text,
  p_replaced_by text, p_last_used_ips text[]
) RETURNS void LANGUAGE plpgsql VOLATILE AS $patkit_fn$
BEGIN
  PERFORM "public"."patkit_insert_token"(
    p_id, p_name, p_owner_kind, p_user_id, p_project_id, p_repository_id, p_project_permission,
    p_repository_permission, p_secret_hash, p_created_at, p_created_by, p_expires_at,
    p_last_authenticated_at, p_revoked_at, p_version, p_max_tokens, p_now
  );
  IF p_revoked_reason IS NOT NULL OR p_replaces IS NOT NULL OR p_replaced_by IS NOT NULL
    OR cardinality(p_last_used_ips) > 0 THEN
    UPDATE "public"."patkit_tokens" SET revoked_reason = p_revoked_reason, replaces = p_replaces,
      replaced_by = p_replaced_by, last_used_ips = coalesce(p_last_used_ips, '{}')
      WHERE id = p_id;
  END IF;
END
$patkit_fn$;
