-- patkit PostgreSQL schema, migration 4: maintenance (expiry notice marks, unused tokens, retention, a user's data).
-- Generated for schema public, table prefix "patkit_". migrate() from "patkit/postgres" runs the same SQL.
-- Adding the nullable columns rewrites nothing; the indexes are built under a lock that blocks
-- writes to the tokens table until they are done (seconds per million tokens).

-- The expiry notice mark: the fewest days left announced so far (NULL: none yet; 0: the expiry
-- itself was announced, or passed over). Maintenance claims a notice by moving it, conditionally.
ALTER TABLE "public"."patkit_tokens" ADD COLUMN expiry_notice_days integer;
ALTER TABLE "public"."patkit_tokens" ADD CONSTRAINT tokens_expiry_notice_days_not_negative
  CHECK (expiry_notice_days >= 0);

-- Revoke live tokens unused for this many days (NULL: never).
ALTER TABLE "public"."patkit_policy" ADD COLUMN revoke_unused_after_days integer;
ALTER TABLE "public"."patkit_policy" ADD CONSTRAINT policy_revoke_unused_after_days_positive
  CHECK (revoke_unused_after_days >= 1);

-- Due notices: live tokens with an expiry whose last notice is not the final one, by mark and
-- expiry, so each run seeks straight to what is due (nothing, most of the time).
CREATE INDEX "patkit_tokens_notice_due" ON "public"."patkit_tokens" (expiry_notice_days, expires_at)
  WHERE revoked_at IS NULL AND expires_at IS NOT NULL
    AND (expiry_notice_days IS NULL OR expiry_notice_days > 0);

-- Unused tokens: unrevoked ones by last use (or creation); the expiry rides along so expired
-- tokens are skipped inside the index.
CREATE INDEX "patkit_tokens_unused" ON "public"."patkit_tokens"
  ((coalesce(last_authenticated_at, created_at)), expires_at)
  WHERE revoked_at IS NULL;

-- Retention: tokens revoked or expired before an instant.
CREATE INDEX "patkit_tokens_revoked_at" ON "public"."patkit_tokens" (revoked_at)
  WHERE revoked_at IS NOT NULL;
CREATE INDEX "patkit_tokens_expires_at" ON "public"."patkit_tokens" (expires_at)
  WHERE expires_at IS NOT NULL;

-- A user's data: the tokens they created, to export or pseudonymize.
CREATE INDEX "patkit_tokens_by_creator" ON "public"."patkit_tokens" (created_by, created_at, id);
