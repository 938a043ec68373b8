import type { Awaitable, Owner, Permission, Policy, RevokedReason } from "./types.js";

/**
 * A token as the store keeps it. It holds the secret's hash, never the secret; only the core
 * and store adapters see records. Times are `Date`s with millisecond precision.
 */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly owner: Owner;
  /** Canonical order: the project level (if any), then the repository level. */
  readonly permissions: readonly Permission[];
  /** HMAC-SHA-256 (or SHA-256) of the secret: 32 bytes. */
  readonly secretHash: Uint8Array;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly expiresAt: Date | null;
  readonly lastAuthenticatedAt: Date | null;
  /** Revoked from this instant on; it may lie ahead (a rotated token's grace period). */
  readonly revokedAt: Date | null;
  /** Why it is revoked; `null` when it is not. */
  readonly revokedReason: RevokedReason | null;
  /** The id of the token this one replaced by rotation. */
  readonly replaces: string | null;
  /** The id of the token that replaced this one by rotation. */
  readonly replacedBy: string | null;
  /** Up to {@link MAX_LAST_USED_IPS} distinct client addresses, most recent first. */
  readonly lastUsedIps: readonly string[];
  /** 1 at insert, +1 on every update and on revoke (not on touches): the basis of conditional updates. */
  readonly version: number;
}

/** Where a page of a listing starts: strictly after this token in (createdAt, id) order. */
export interface ListPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** A listing request: one owner's tokens, or every token when `owner` is absent. */
export interface ListQuery {
  readonly owner?: Owner;
  readonly after?: ListPosition;
  /**
   * Skips this many matching records (after `after`, in listing order) before the first one
   * returned; default 0. Offset paging (Bitbucket's `start`) asks the store to skip, so a store
   * with an index skips there instead of handing every earlier record over.
   */
  readonly offset?: number;
  /**
   * Leaves out the records revoked at this instant (`revokedAt <= notRevokedAt`, see
   * {@link isRevokedAt}). A revocation scheduled later (a rotated token in its grace period,
   * which still works) does not leave a record out. Absent: revoked records are listed too.
   */
  readonly notRevokedAt?: Date;
  /** At most this many records (1 or more). */
  readonly limit: number;
}

/** What an update may change. `expiresAt` may only be set on a record whose expiry is `null`. */
export interface TokenPatch {
  readonly name?: string;
  readonly permissions?: readonly Permission[];
  readonly expiresAt?: Date;
  readonly secretHash?: Uint8Array;
}

/** The limit an insert must respect, with the instant that decides which tokens are live. */
export interface InsertLimit {
  /** The most live tokens the owner may hold after the insert; `null` for no limit. */
  readonly maxTokensPerOwner: number | null;
  /** Tokens with `expiresAt <= now` or a `revokedAt` are not live and do not count. */
  readonly now: Date;
}

/**
 * One last-authenticated write: set the token's `lastAuthenticatedAt` to `at` unless it is
 * already later, and put `ip` (a normalised address) first in `lastUsedIps` (see
 * {@link mergeLastUsedIps}).
 */
export interface TouchEntry {
  readonly id: string;
  readonly at: Date;
  readonly ip?: string;
}

/** How many client addresses a token keeps. */
export const MAX_LAST_USED_IPS = 5;

/**
 * The addresses after a touch: `ip` first when the touch is at least as recent as the stored
 * last use (`newer`), else kept where it is or added last; distinct, at most
 * {@link MAX_LAST_USED_IPS}. Stores apply this rule (in SQL or with this function).
 */
export function mergeLastUsedIps(
  stored: readonly string[],
  ip: string | undefined,
  newer: boolean,
): string[] {
  if (ip === undefined) return stored.slice();
  if (newer) return [ip, ...stored.filter((known) => known !== ip)].slice(0, MAX_LAST_USED_IPS);
  if (stored.includes(ip)) return stored.slice();
  return [...stored, ip].slice(0, MAX_LAST_USED_IPS);
}

/**
 * A rotation as the store applies it, atomically: the old token gets `revokedAt = revokeAt`,
 * `revokedReason: "rotated"`, `replacedBy = record.id` and a new version, and `record` (whose
 * `replaces` is the old id) is inserted, both or neither. The per-owner limit does not apply.
 */
export interface TokenRotation {
  /** The old token's id. */
  readonly id: string;
  /** The old token's version as read: a different one means it changed since (`ConflictError`). */
  readonly expectedVersion: number;
  /** When the old token stops working: the end of its grace period. */
  readonly revokeAt: Date;
  /** The new token. */
  readonly record: TokenRecord;
}

/** A change that verification caches on other instances must hear of. */
export type StoreChange =
  /** One token changed (edited, revoked, re-hashed or purged). */
  | { readonly kind: "token"; readonly id: string }
  /** Anything may have changed (e.g. the notification connection was lost and is back). */
  | { readonly kind: "all" };

/** Stops a {@link TokenStore.watch} subscription. */
export type Unwatch = () => Awaitable<void>;

/**
 * The storage port: where token records and the policy live. Adapters implement it
 * (`patkit/memory`, `patkit/postgres`, or your own, proven with `patkit/testing`).
 *
 * Contract highlights:
 * - Every method returns copies: a caller mutating a returned record changes nothing stored,
 *   and the store keeps no reference to objects it was given.
 * - Every write is atomic. Driver failures are thrown as `StoreUnavailableError` (the core also
 *   wraps any other unexpected error in one).
 */
export interface TokenStore {
  /**
   * Stores a new record, atomically with the per-owner limit: when the owner already holds
   * `maxTokensPerOwner` live tokens, nothing is stored and `LimitExceededError` is thrown.
   * Throws `ConflictError` when the id exists.
   */
  insert(record: TokenRecord, limit: InsertLimit): Awaitable<void>;

  /** The record with this id, or `null`. This is the verify path: one indexed lookup. */
  findById(id: string): Awaitable<TokenRecord | null>;

  /**
   * Records in ascending (createdAt, id) order, strictly after `after`, without those revoked
   * at `notRevokedAt` when it is given (`revokedAt` null or later than it stays), skipping the
   * first `offset` of those, at most `limit`.
   */
  list(query: ListQuery): Awaitable<TokenRecord[]>;

  /**
   * Applies `patch` and increments the version, only when the stored version is
   * `expectedVersion`. Returns the updated record, or `null` when the record is missing or its
   * version differs. Throws `ExpiryImmutableError` when the patch sets `expiresAt` on a record
   * whose expiry is already set (and changes nothing).
   */
  updateIfVersion(
    id: string,
    expectedVersion: number,
    patch: TokenPatch,
  ): Awaitable<TokenRecord | null>;

  /**
   * Marks the record revoked at `at` with `reason` (default `"manual"`) and increments the
   * version, unless it was revoked at or before `at` already (then it is kept as it is). A
   * revocation scheduled after `at` (a rotated token in its grace period) is brought forward to
   * `at` with the new reason; `replacedBy` stays. Returns the record as stored afterwards, or
   * `null` when it is missing.
   */
  revoke(id: string, at: Date, reason?: RevokedReason): Awaitable<TokenRecord | null>;

  /**
   * Rotates a token in one atomic step (see {@link TokenRotation}). Returns the old record as
   * stored afterwards, or `null` when it is missing. Throws `ConflictError`, changing nothing,
   * when the old record's version is not `expectedVersion`, or it is revoked (at any time,
   * scheduled or not) or already replaced, or the new id exists.
   */
  rotate(rotation: TokenRotation): Awaitable<TokenRecord | null>;

  /**
   * Records authentications in one batch: each `lastAuthenticatedAt` becomes the later of its
   * value and `at`, and an entry's `ip` joins `lastUsedIps` by {@link mergeLastUsedIps}. The
   * version does not change; unknown ids are ignored.
   */
  touchLastAuthenticated(entries: readonly TouchEntry[]): Awaitable<void>;

  /** The stored policy, or `null` when none was ever stored. */
  getPolicy(): Awaitable<Policy | null>;

  /** Replaces the policy. */
  putPolicy(policy: Policy): Awaitable<void>;

  /**
   * Deletes the records revoked before `before`, or whose expiry is before `before`, at most
   * `limit` of them when given (maintenance deletes in bounded batches). Returns how many were
   * deleted.
   */
  purge(before: Date, limit?: number): Awaitable<number>;

  /**
   * Maintenance: live tokens due for an expiry notice, at most `query.limit` of them, in any
   * order. A token is due when it is not revoked (`revokedAt` is `null`), has an expiry, and
   * for some `d` in `query.days` or `d = 0` (the expiry itself) with `d` below its notice mark
   * (`null` counts as above every `d`), `now >= expiresAt - d days`. Each answer carries the
   * mark as stored. The query must go through an index: it runs every few minutes on tables of
   * millions of tokens, and usually finds nothing.
   */
  findDueNotices(query: DueNoticeQuery): Awaitable<DueNotice[]>;

  /**
   * Maintenance: moves each token's notice mark from `from` to `to`, only where the mark is
   * still `from` and the token is not revoked, atomically per token. Returns the ids it moved.
   * This conditional write is the claim that makes a notice go out once when several instances
   * run maintenance at the same moment; a claim handed back is a move the other way.
   */
  claimNotices(claims: readonly NoticeClaim[]): Awaitable<string[]>;

  /**
   * Maintenance: revokes at `query.now` up to `query.limit` tokens that are live at `now` (not
   * revoked, not expired) and were last used, or if never used created, at or before
   * `query.unusedSince`, with reason `"unused"`. Returns them as stored afterwards. A token is
   * revoked by one call only, whatever runs at the same time.
   */
  revokeUnused(query: UnusedQuery): Awaitable<TokenRecord[]>;

  /** Records whose `createdBy` is `query.createdBy`, in (createdAt, id) order, strictly after `after`. */
  listCreatedBy(query: CreatedByQuery): Awaitable<TokenRecord[]>;

  /**
   * Erases a user, in one atomic step: deletes every personal token of `userId` (any status,
   * notice marks and client addresses with them) and replaces `userId` in the `createdBy` of
   * every other token with `pseudonym`, clearing those tokens' `lastUsedIps` (the user may have
   * used them). Afterwards the store keeps the user id, and addresses tied to it, nowhere.
   */
  eraseUser(userId: string, pseudonym: string): Awaitable<UserErasure>;

  /**
   * Optional: calls `listener` whenever a token changes through any instance sharing this store
   * (for example through PostgreSQL LISTEN/NOTIFY), so verification caches drop stale entries.
   * After a lost notification channel comes back, it reports `{ kind: "all" }`.
   */
  watch?(listener: (change: StoreChange) => void): Awaitable<Unwatch>;
}

/** What {@link TokenStore.findDueNotices} looks for. */
export interface DueNoticeQuery {
  /** The notice thresholds in days: distinct whole numbers, 1 or more (0, the expiry itself, is implied). */
  readonly days: readonly number[];
  readonly now: Date;
  /** At most this many tokens (1 or more). */
  readonly limit: number;
}

/** A token due for an expiry notice, with its notice mark. */
export interface DueNotice {
  readonly record: TokenRecord;
  /**
   * The fewest days left already announced: `null` before any notice, `0` once the expiry
   * itself was announced (or passed over).
   */
  readonly noticedDays: number | null;
}

/** One conditional move of a notice mark: see {@link TokenStore.claimNotices}. */
export interface NoticeClaim {
  readonly id: string;
  readonly from: number | null;
  readonly to: number | null;
}

/** What {@link TokenStore.revokeUnused} revokes. */
export interface UnusedQuery {
  /** Tokens last used (or created, if never used) at or before this instant. */
  readonly unusedSince: Date;
  /** Live at this instant, which is also the revocation time. */
  readonly now: Date;
  /** At most this many tokens (1 or more). */
  readonly limit: number;
}

/** A listing of the tokens one user created. */
export interface CreatedByQuery {
  readonly createdBy: string;
  readonly after?: ListPosition;
  /** At most this many records (1 or more). */
  readonly limit: number;
}

/** What {@link TokenStore.eraseUser} did. */
export interface UserErasure {
  /** Personal tokens deleted. */
  readonly deleted: number;
  /** Other tokens whose `createdBy` now holds the pseudonym. */
  readonly pseudonymized: number;
}

/** The methods every {@link TokenStore} must have (`watch` is optional). */
export const REQUIRED_STORE_METHODS = Object.freeze([
  "insert",
  "findById",
  "list",
  "updateIfVersion",
  "revoke",
  "rotate",
  "touchLastAuthenticated",
  "getPolicy",
  "putPolicy",
  "purge",
] as const satisfies readonly (keyof TokenStore)[]);

/**
 * The methods maintenance and a user's data need: `runMaintenance`, `exportUser` and
 * `eraseUser` refuse a store without them (naming the method), and the conformance suite fails
 * one; the rest of patkit works without them, as it did in v0.1.
 */
export const MAINTENANCE_STORE_METHODS = Object.freeze([
  "findDueNotices",
  "claimNotices",
  "revokeUnused",
  "listCreatedBy",
  "eraseUser",
] as const satisfies readonly (keyof TokenStore)[]);

/** A stable string key for an owner, for indexes and locks: distinct owners never share one. */
export function ownerKey(owner: Owner): string {
  switch (owner.kind) {
    case "user":
      return JSON.stringify(["user", owner.userId]);
    case "project":
      return JSON.stringify(["project", owner.projectId]);
    case "repository":
      return JSON.stringify(["repository", owner.projectId, owner.repositoryId]);
  }
}

/**
 * True when the token counts toward its owner's limit at `now`: not revoked, not expired. A
 * token with a revocation scheduled (a rotated token in its grace period) no longer counts, on
 * purpose: rotation never trips the limit. This is not "the token works" (see
 * {@link isRevokedAt}, {@link isExpiredAt}): listings keep a token in its grace period.
 */
export function isLive(record: Pick<TokenRecord, "expiresAt" | "revokedAt">, now: Date): boolean {
  return record.revokedAt === null && !isExpiredAt(record, now);
}

/** True when the record is revoked at `now`: a scheduled revocation counts from its instant. */
export function isRevokedAt(record: Pick<TokenRecord, "revokedAt">, now: Date): boolean {
  return record.revokedAt !== null && record.revokedAt.getTime() <= now.getTime();
}

/** True when the record is expired at `now`: from the instant `expiresAt <= now`. */
export function isExpiredAt(record: Pick<TokenRecord, "expiresAt">, now: Date): boolean {
  return record.expiresAt !== null && record.expiresAt.getTime() <= now.getTime();
}
