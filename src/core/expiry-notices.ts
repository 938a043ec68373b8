import { ValidationError } from "./errors.js";
import { DAY_MS } from "./policy.js";
import { MAX_EXPIRY_DAYS } from "./schemas.js";

/** The expiry notice thresholds when none are configured: 30, 7 and 1 days before expiry. */
export const DEFAULT_EXPIRY_NOTICE_DAYS: readonly number[] = Object.freeze([30, 7, 1]);

/**
 * How long after its expiry a token still gets its `token.expired` notice. A token found
 * expired longer ago (say, when notices are first switched on) is marked without one, so
 * enabling notices sends no storm about tokens that died long ago.
 */
export const EXPIRED_NOTICE_WINDOW_MS = DAY_MS;

/** Options of expiry notices, as `createAccessTokens({ expiryNotices })` takes them. */
export interface ExpiryNoticeOptions {
  /** Days before expiry at which `token.expiring` goes out, default `[30, 7, 1]`; `[]` turns every notice off. */
  readonly days: readonly number[];
}

/**
 * The thresholds of `options`, validated, distinct and largest first. Throws `ValidationError`
 * naming `expiryNotices.days.<i>` for a value that is not a whole number of days, 1 or more.
 */
export function noticeThresholds(options: ExpiryNoticeOptions | undefined): readonly number[] {
  if (options === undefined) return DEFAULT_EXPIRY_NOTICE_DAYS;
  const days = (options as { days?: unknown } | null)?.days;
  if (!Array.isArray(days)) {
    throw new ValidationError([
      { path: ["expiryNotices", "days"], message: "Expected an array of whole days" },
    ]);
  }
  const problems = days.flatMap((day: unknown, index) =>
    Number.isInteger(day) && (day as number) >= 1 && (day as number) <= MAX_EXPIRY_DAYS
      ? []
      : [
          {
            path: ["expiryNotices", "days", index],
            message: `Expected a whole number of days, 1 to ${MAX_EXPIRY_DAYS}`,
          },
        ],
  );
  if (problems.length > 0) throw new ValidationError(problems);
  return Object.freeze([...new Set(days as number[])].sort((a, b) => b - a));
}

/** What one run does about one due token: move its mark to `to`, and send a notice or not. */
export interface NoticeDecision {
  /** The new notice mark: the threshold announced, or 0 for the expiry itself. */
  readonly to: number;
  /** `token.expiring` with this many days, `token.expired` for 0, or `null` to mark silently. */
  readonly send: { readonly daysLeft: number } | { readonly expired: true } | null;
}

/**
 * The notice a token is due at `now`, given its expiry, its mark (the fewest days already
 * announced, `null` for none) and the thresholds (largest first); `null` when none is due.
 * Of several thresholds that fell due since the last run only the smallest is sent (the mark
 * moves past the others); once expired only `token.expired` is due.
 */
export function decideNotice(
  expiresAt: Date,
  noticedDays: number | null,
  thresholds: readonly number[],
  now: Date,
): NoticeDecision | null {
  const mark = noticedDays ?? Number.POSITIVE_INFINITY;
  if (mark <= 0) return null;
  const sinceExpiry = now.getTime() - expiresAt.getTime();
  if (sinceExpiry >= 0) {
    return { to: 0, send: sinceExpiry <= EXPIRED_NOTICE_WINDOW_MS ? { expired: true } : null };
  }
  // Largest first: the last one that is due and below the mark is the smallest due.
  let due: number | null = null;
  for (const days of thresholds) {
    if (days < mark && -sinceExpiry <= days * DAY_MS) due = days;
  }
  return due === null ? null : { to: due, send: { daysLeft: due } };
}

/**
 * Whether a token with this expiry and notice mark is due for a notice at `now`: the predicate
 * of `TokenStore.findDueNotices`, for store adapters that filter in code.
 */
export function isNoticeDue(
  expiresAt: Date,
  noticedDays: number | null,
  thresholds: readonly number[],
  now: Date,
): boolean {
  return decideNotice(expiresAt, noticedDays, thresholds, now) !== null;
}
