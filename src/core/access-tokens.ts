import { createAuthorization } from "./authorization.js";
import type { ParsedAuthorization } from "./authorization-header.js";
import {
  DEFAULT_MAX_WATCH_RETRY_DELAY_MS,
  DEFAULT_WATCH_RETRY_DELAY_MS,
  startChangeFeed,
} from "./change-feed.js";
import { type Clock, systemClock } from "./clock.js";
import { type AccessTokenEvent, createHookRunner, type ErrorContext } from "./events.js";
import { type ExpiryNoticeOptions, noticeThresholds } from "./expiry-notices.js";
import { createSecretHasher, type Pepper } from "./hashing.js";
import type { HostAccess } from "./host-access.js";
import { createLastAuthenticatedRecorder } from "./last-authenticated.js";
import {
  createLeakedTokens,
  type LeakedTokensResult,
  type LeakReportInput,
} from "./leaked-tokens.js";
import { createMaintenance, type MaintenanceInput, type MaintenanceResult } from "./maintenance.js";
import {
  type CreatedToken,
  type CreateTokenInput,
  createManagement,
  type ListTokensInput,
  type PolicyInput,
  type TokenPage,
  type UpdateTokenInput,
} from "./management.js";
import { checkOptions } from "./options.js";
import { createRateLimit, type RateLimitOption } from "./rate-limit.js";
import { createRecordLookup } from "./record-lookup.js";
import type { VerifyOptions, VerifyResult } from "./results.js";
import { createReuseDetector } from "./reuse-detection.js";
import { createRotation, type RotatedToken, type RotateTokenInput } from "./rotation.js";
import type { TokenStore } from "./store.js";
import { DEFAULT_TOKEN_PREFIX } from "./token-format.js";
import type { Actor, Policy, Requirement, TokenView } from "./types.js";
import {
  createUserData,
  type EraseUserInput,
  type EraseUserResult,
  type UserExport,
} from "./user-data.js";
import { createVerifier } from "./verification.js";
import { createVerificationCache, type VerificationCacheOptions } from "./verification-cache.js";

/** Options of {@link createAccessTokens}. */
export interface AccessTokensOptions {
  /** Where tokens and the policy live. */
  readonly store: TokenStore;
  /** The time source; default {@link systemClock}. Tests pass a manual clock. */
  readonly clock?: Clock;
  /** The host's answers about its users and resources. */
  readonly access: HostAccess;
  /**
   * A server-side secret for HMAC-SHA-256 of token secrets (default: plain SHA-256). A list
   * rotates peppers: the first is current, the rest are still accepted, and tokens that
   * authenticate with an earlier one are re-hashed with the current one. An earlier entry of
   * `null` stands for "no pepper", to move a deployment from plain SHA-256 to a pepper.
   */
  readonly pepper?: Pepper | readonly (Pepper | null)[];
  /** The token prefix, 1-16 lower-case letters and digits; default `"pat"` (tokens `pat_…`). */
  readonly prefix?: string;
  /** Audit hook, called after each change is stored. It cannot fail a call. */
  readonly onEvent?: (event: AccessTokenEvent) => unknown;
  /** Receives failures off the response path: a throwing `onEvent`, a failed last-authenticated write. */
  readonly onError?: (error: unknown, context: ErrorContext) => unknown;
  /** The least time between two last-authenticated writes of one token; default 60 000 ms. */
  readonly lastAuthenticatedIntervalMs?: number;
  /**
   * Opt-in cache of verified records (hashes, never secrets) in this instance's memory. Changes
   * made through this instance apply at once; changes made through other instances arrive
   * through the store's `watch` (PostgreSQL LISTEN/NOTIFY in `patkit/postgres`), and `ttlMs`
   * bounds how stale an entry can be if a notification is lost or the store cannot watch. With
   * a store that can watch, the cache serves nothing until the watch is up: a watch that fails
   * (at start-up, say, while the database is unreachable) is retried with backoff, each failure
   * going to `onError`, and every verify reads the store until it succeeds.
   */
  readonly cache?: VerificationCacheOptions;
  /**
   * When `runMaintenance` warns of expiry: `token.expiring` events at each of `days` before a
   * token expires (default `[30, 7, 1]`), then `token.expired`. `{ days: [] }` sends neither.
   */
  readonly expiryNotices?: ExpiryNoticeOptions;
  /**
   * Limits each token's requests: `{ capacity, refillPerSecond }` for a token bucket per token
   * id in this instance's memory (on the injected clock), or a shared limiter with
   * `rate-limiter-flexible`'s `consume(key)` (e.g. `RateLimiterPostgres`) for limits across
   * instances. A valid token over its budget fails with `rate_limited` and `retryAfterMs`;
   * invalid tokens consume nothing.
   */
  readonly rateLimit?: RateLimitOption;
}

/** The token service: management for UIs and APIs, verification for auth middleware. */
export interface AccessTokens {
  /** Creates a token. The secret is in the result, this once, and never stored. */
  create(input: CreateTokenInput, actor: Actor): Promise<CreatedToken>;
  /** One token, for its owner, the resource's admins and system admins. */
  get(id: string, actor: Actor): Promise<TokenView>;
  /** One owner's tokens, oldest first, a page at a time; every token for system admins when `owner` is absent. */
  list(input: ListTokensInput, actor: Actor): Promise<TokenPage>;
  /**
   * Live tokens that a new token could not be created like under the current policy (no expiry
   * where one is required, or a lifetime beyond the maximum): one owner's, or every owner's for
   * system admins. Same paging as `list`.
   */
  listNonCompliant(input: ListTokensInput, actor: Actor): Promise<TokenPage>;
  /** Renames, changes permissions, or gives an expiry to a token that has none. */
  update(id: string, input: UpdateTokenInput, actor: Actor): Promise<TokenView>;
  /**
   * Revokes a token (reason `manual`); it fails verification from now on and stays listed until
   * purged. Idempotent. A rotated token in its grace period is revoked now.
   */
  revoke(id: string, actor: Actor): Promise<TokenView>;
  /**
   * Replaces a token with a new one (new id and secret; same owner, name and permissions;
   * `replaces` = the old id). The old one keeps working for `graceSeconds` (default 0), then
   * fails as `revoked` with reason `rotated`. Allowed to whoever may create that token, by
   * session; never twice for one token (`ConflictError`); never fails on the per-owner limit.
   *
   * @example
   * ```ts
   * const { token, secret, previous } = await tokens.rotate(oldId, { graceSeconds: 3600 }, { userId: "alice" });
   * console.log(token.replaces === previous.id, previous.replacedBy === token.id); // true true
   * ```
   */
  rotate(id: string, input: RotateTokenInput, actor: Actor): Promise<RotatedToken>;
  /**
   * Which token this exact secret is (any status), or `null` for a malformed, unknown or wrong
   * secret: for system admins signed in by session, e.g. to act on a secret found in a log.
   */
  inspect(secret: string, actor: Actor): Promise<TokenView | null>;
  /**
   * Revokes, with reason `leaked`, the live tokens among up to 1000 reported strings, and
   * answers counts only. No actor: the host has authenticated the reporter (for GitHub's
   * secret scanning, `createSecretScanningHandler` in `patkit/http` does). Events carry
   * `actor: null` and `report`.
   *
   * @example
   * ```ts
   * const { matched, revoked } = await tokens.revokeLeaked([found], { source: "pastebin", url });
   * ```
   */
  revokeLeaked(secrets: readonly string[], report?: LeakReportInput): Promise<LeakedTokensResult>;
  /** The global policy in force. */
  getPolicy(): Promise<Policy>;
  /** Replaces the global policy (system admins only). Existing tokens keep working. */
  setPolicy(input: PolicyInput, actor: Actor): Promise<Policy>;
  /** Deletes tokens revoked or expired before `before` (default: now). System admins only. */
  purge(input: { before?: Date }, actor: Actor): Promise<{ deleted: number }>;
  /**
   * Verifies a token string and, when given, that it meets `requirement`. Resolves to a result
   * for every bad token; rejects only when the store is unavailable (`StoreUnavailableError`)
   * or a host callback fails, so it fails closed.
   *
   * @example
   * ```ts
   * const result = await tokens.verifyToken(secret, { permission: "REPO_READ", projectId: "WEB", repositoryId: "site" });
   * if (!result.ok) console.log(result.reason); // "expired", "revoked", "insufficient_permission", ...
   * else console.log(result.principal.tokenId, result.token.name);
   * ```
   * The third argument carries the client's address (`{ clientIp }`) for the token's
   * `lastUsedIps`. With `rateLimit`, a valid token over its budget gives `rate_limited` with
   * `retryAfterMs`.
   */
  verifyToken(
    secret: string,
    requirement?: Requirement | null,
    options?: VerifyOptions | null,
  ): Promise<VerifyResult>;
  /**
   * Verifies an `Authorization` header: `Bearer <token>` for every token, or `Basic` with a
   * personal token as the password and its owner's username. Also takes the header already
   * parsed by `parseAuthorization` (what `patkit/http` passes), so it is read only once.
   * Besides `verifyToken`'s reasons: `malformed` for no header or a garbled one, `wrong_scheme`
   * for another scheme (e.g. Digest) or a project or repository token over Basic, and `unknown`
   * for a personal token with another username than its owner's.
   *
   * @example
   * ```ts
   * // In auth middleware: the header as the client sent it (or undefined).
   * const result = await tokens.authenticate(request.headers.get("authorization"), {
   *   permission: "REPO_WRITE",
   *   projectId: "WEB",
   *   repositoryId: "site",
   * });
   * if (!result.ok) return new Response(null, { status: result.reason === "insufficient_permission" ? 403 : 401 });
   * // For management calls this request makes: { userId, via: "token" }, or null for project and
   * // repository tokens. Never an actor built from result.principal.userId alone.
   * const actor = result.actor;
   * ```
   */
  authenticate(
    authorizationHeader: string | ParsedAuthorization | null | undefined,
    requirement?: Requirement | null,
    options?: VerifyOptions | null,
  ): Promise<VerifyResult>;
  /** Writes pending last-authenticated times now and waits for them (for shutdown and tests). */
  flush(): Promise<void>;
  /** Stops watching the store for changes and writes what is pending. Call it on shutdown. */
  close(): Promise<void>;
  /**
   * The background work to call on a schedule (every minute is fine): revokes tokens unused
   * for the policy's `revokeUnusedAfterDays`, sends each expiry notice once (also when several
   * instances run it at the same moment), and deletes tokens revoked or expired at least
   * `purgeAfterDays` ago. Works in bounded batches through indexes; answers counts.
   */
  runMaintenance(input?: MaintenanceInput): Promise<MaintenanceResult>;
  /**
   * Everything patkit keeps about a user: their personal tokens and the tokens they created,
   * any status. For the user themself and system admins, signed in by session.
   */
  exportUser(userId: string, actor: Actor): Promise<UserExport>;
  /**
   * Deletes every personal token of the user and replaces their id with `pseudonym` where a
   * token records its creator; emits `user.erased`. System admins, signed in by session.
   */
  eraseUser(userId: string, input: EraseUserInput, actor: Actor): Promise<EraseUserResult>;
}

/**
 * Creates the token service. See {@link AccessTokensOptions}.
 *
 * @example
 * ```ts
 * import { createAccessTokens } from "patkit";
 * import { createMemoryStore } from "patkit/memory";
 *
 * const tokens = createAccessTokens({
 *   store: createMemoryStore(),
 *   access: {
 *     hasPermission: (userId, permission, resource) => grants.allows(userId, permission, resource),
 *     isSystemAdmin: (userId) => admins.has(userId),
 *   },
 *   pepper: process.env.PATKIT_PEPPER, // optional: HMAC the stored hashes
 * });
 * const { token, secret } = await tokens.create(
 *   { owner: { kind: "user", userId: "alice" }, name: "laptop", permissions: ["REPO_WRITE"], expiryDays: 90 },
 *   { userId: "alice" },
 * );
 * ```
 */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  checkOptions(options);
  const noticeDays = noticeThresholds(options.expiryNotices);
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const access = options.access;
  const prefix = options.prefix ?? DEFAULT_TOKEN_PREFIX;
  const hasher = createSecretHasher(options.pepper);
  const hooks = createHookRunner(options.onEvent, options.onError);
  const recorder = createLastAuthenticatedRecorder({
    store,
    intervalMs: options.lastAuthenticatedIntervalMs ?? 60_000,
    report: (error) => hooks.report(error, { source: "lastAuthenticated" }),
  });
  const cache = options.cache ? createVerificationCache(options.cache) : undefined;
  const lookup = createRecordLookup(store, clock, cache);
  const feed = cache
    ? startChangeFeed({
        store,
        lookup,
        report: (error) => hooks.report(error, { source: "watch" }),
        retryDelayMs: options.cache?.watchRetryDelayMs ?? DEFAULT_WATCH_RETRY_DELAY_MS,
        maxRetryDelayMs: options.cache?.maxWatchRetryDelayMs ?? DEFAULT_MAX_WATCH_RETRY_DELAY_MS,
      })
    : undefined;
  const context = {
    store,
    clock,
    hasher,
    prefix,
    hooks,
    rules: createAuthorization(access),
    lookup,
  };
  const management = createManagement(context);
  const rotation = createRotation({ ...context, getPolicy: management.getPolicy });
  const leaked = createLeakedTokens(context);
  const maintenance = createMaintenance({
    store,
    clock,
    hooks,
    lookup,
    noticeDays,
    getPolicy: management.getPolicy,
  });
  const userData = createUserData(context);
  const verifier = createVerifier({
    store,
    clock,
    access,
    hasher,
    prefix,
    lookup,
    recordAuthentication: recorder.record,
    report: (error) => hooks.report(error, { source: "rehash" }),
    reused: createReuseDetector(hooks),
    rateLimit: options.rateLimit ? createRateLimit(options.rateLimit) : undefined,
  });
  return {
    ...management,
    ...rotation,
    ...leaked,
    ...maintenance,
    ...userData,
    verifyToken: verifier.verifyToken,
    authenticate: verifier.authenticate,
    flush: recorder.drain,
    async close() {
      await feed?.close();
      await recorder.drain();
    },
  };
}
