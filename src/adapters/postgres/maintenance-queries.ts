import type { SqlNames } from "./names.js";
import { RECORD_COLUMNS } from "./rows.js";

const SECONDS_PER_DAY = 86_400;

/**
 * The statements of maintenance and a user's data, built once per store. Each change is one
 * statement that locks its rows with SKIP LOCKED: instances running maintenance at the same
 * moment never wait for each other (so never deadlock with each other or with verify's
 * last-authenticated writes), and each row is claimed by one of them. Rows are found again by
 * primary key (`id = ANY (ARRAY(...))`), never by a join the planner might hash over the table.
 */
export function createMaintenanceQueries(names: SqlNames) {
  const { tokens } = names;
  const dueQueries = new Map<string, string>();

  return {
    /**
     * Tokens due for a notice, for thresholds `days` (largest first, validated whole numbers,
     * written into the text so the planner can match the partial index). One branch per range
     * of marks, each a seek on (expiry_notice_days, expires_at): a mark equal to a threshold
     * (the usual case) and the ranges between thresholds (marks left by other settings).
     * `$1` is now, `$2` the limit.
     */
    findDueNotices(days: readonly number[]): string {
      const key = days.join(",");
      let text = dueQueries.get(key);
      if (text === undefined) {
        const live = "revoked_at IS NULL AND expires_at IS NOT NULL";
        const until = (threshold: number) =>
          threshold === 0
            ? "$1::timestamptz"
            : `$1::timestamptz + interval '${threshold * SECONDS_PER_DAY} seconds'`;
        const branch = (mark: string, threshold: number) =>
          `(SELECT ${RECORD_COLUMNS}, expiry_notice_days FROM ${tokens}
            WHERE ${live} AND ${mark} AND expires_at <= ${until(threshold)} LIMIT $2)`;
        const thresholds = [...days, 0];
        const largest = thresholds[0] as number;
        const branches = [
          branch("expiry_notice_days IS NULL", largest),
          branch(`expiry_notice_days > ${largest}`, largest),
        ];
        for (let i = 1; i < thresholds.length; i++) {
          const above = thresholds[i - 1] as number;
          const next = thresholds[i] as number;
          branches.push(branch(`expiry_notice_days = ${above}`, next));
          if (above - next > 1) {
            branches.push(
              branch(`expiry_notice_days > ${next} AND expiry_notice_days < ${above}`, next),
            );
          }
        }
        text = `${branches.join("\nUNION ALL\n")}\nLIMIT $2`;
        dueQueries.set(key, text);
      }
      return text;
    },

    /** `$1`: JSON `[{ id, from, to }]`. Moves each mark still at `from` on an unrevoked token. */
    claimNotices: `WITH claims AS (
        SELECT * FROM json_to_recordset($1::text::json) AS c(id text, "from" integer, "to" integer)
      ), claimed AS (
        SELECT t.id AS claim_id, claims."to" AS next_mark
        FROM ${tokens} AS t JOIN claims ON t.id = claims.id
        WHERE t.id = ANY (ARRAY(SELECT id FROM claims))
          AND t.revoked_at IS NULL AND t.expiry_notice_days IS NOT DISTINCT FROM claims."from"
        FOR UPDATE OF t SKIP LOCKED
      )
      UPDATE ${tokens} AS t SET expiry_notice_days = claimed.next_mark
      FROM claimed WHERE t.id = ANY (ARRAY(SELECT claim_id FROM claimed)) AND t.id = claimed.claim_id
      RETURNING t.id`,

    /**
     * `$1` unused since, `$2` now (the revocation time), `$3` the limit. Longest unused first:
     * the order follows the index, which keeps the planner on it (it has no statistics on the
     * expression and would otherwise guess a third of the table matches).
     */
    revokeUnused: `WITH unused AS (
        SELECT id AS unused_id FROM ${tokens}
        WHERE revoked_at IS NULL AND coalesce(last_authenticated_at, created_at) <= $1::timestamptz
          AND (expires_at IS NULL OR expires_at > $2::timestamptz)
        ORDER BY coalesce(last_authenticated_at, created_at)
        LIMIT $3
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${tokens} SET revoked_at = $2::timestamptz, revoked_reason = 'unused',
        version = version + 1
      WHERE id = ANY (ARRAY(SELECT unused_id FROM unused))
      RETURNING ${RECORD_COLUMNS}`,

    /** `$1` before, `$2` the limit (NULL for all). */
    purge: `WITH doomed AS (
        SELECT id AS doomed_id FROM ${tokens}
        WHERE revoked_at < $1::timestamptz OR expires_at < $1::timestamptz
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      ), deleted AS (
        DELETE FROM ${tokens} WHERE id = ANY (ARRAY(SELECT doomed_id FROM doomed)) RETURNING 1
      ) SELECT count(*)::integer AS deleted FROM deleted`,

    /** `$1` the creator, then optionally the position after which to start, then the limit. */
    listCreatedBy(hasAfter: boolean): string {
      const after = hasAfter ? " AND (created_at, id) > ($2::timestamptz, $3)" : "";
      const limit = hasAfter ? "$4" : "$2";
      // t.created_at: the bare name would be the selected alias, which no index serves.
      return `SELECT ${RECORD_COLUMNS} FROM ${tokens} AS t WHERE created_by = $1${after}
        ORDER BY t.created_at, t.id LIMIT ${limit}`;
    },

    /** `$1` the user id, `$2` the pseudonym: one statement, one snapshot, both or neither. */
    eraseUser: `WITH deleted AS (
        DELETE FROM ${tokens} WHERE owner_kind = 'user' AND user_id = $1 RETURNING 1
      ), renamed AS (
        -- The user may have used a token they created: its addresses go too.
        UPDATE ${tokens} SET created_by = $2, last_used_ips = '{}'
        WHERE created_by = $1 AND NOT (owner_kind = 'user' AND user_id = $1)
        RETURNING 1
      ) SELECT (SELECT count(*) FROM deleted)::integer AS deleted,
        (SELECT count(*) FROM renamed)::integer AS pseudonymized`,
  };
}
