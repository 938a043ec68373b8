import type { Owner, Permission, TokenView } from "./types.js";

/** Why a verification failed: one name per failure (README's table of reasons lists them). */
export type VerifyFailureReason =
  /**
   * Not a well-formed token (bad prefix, length or checksum); for `authenticate`, also no
   * header, an empty one, or a Bearer/Basic header that breaks its RFC. No store lookup.
   */
  | "malformed"
  /** A well-formed token whose secret matches no stored token. */
  | "unknown"
  | "expired"
  /** Revoked, by hand, as leaked, as unused, or rotated out (after its grace period). */
  | "revoked"
  | "insufficient_permission"
  /** A personal token whose user is inactive or gone (`isActiveUser`). */
  | "inactive_owner"
  /**
   * `authenticate` only: the credential came in a scheme patkit cannot take for it, either a
   * header scheme other than Bearer or Basic (e.g. Digest) or a project or repository token sent
   * as a Basic password (they authenticate with Bearer only). `patkit/http` tells the first
   * apart as `unsupported_scheme` before it calls `authenticate`.
   */
  | "wrong_scheme"
  /** A valid token over its `rateLimit` budget: `retryAfterMs` says when to try again. */
  | "rate_limited";

/**
 * Who a verified token speaks for: its owner, the token's id and levels, and `via: "token"`.
 * A personal token's principal carries `userId` and `via: "token"`, so every management call
 * given it as an actor refuses it, as it should; prefer the result's `actor`, which is exactly
 * `{ userId, via: "token" }` (never an actor built from `userId` alone: that counts as a session).
 */
export type Principal = Owner & {
  readonly tokenId: string;
  readonly permissions: readonly Permission[];
  readonly via: "token";
};

/**
 * The actor for management calls made by a request that came in with a personal token:
 * `via: "token"` is set, so every change through it is refused (tokens never manage tokens).
 */
export interface TokenActor {
  readonly userId: string;
  readonly via: "token";
}

/** A token that passed: its view and the principal to attach to the request. */
export interface VerifySuccess {
  readonly ok: true;
  readonly token: TokenView;
  readonly principal: Principal;
  /**
   * What to pass as the `actor` of a management call made by this request: `{ userId, via:
   * "token" }` for a personal token, `null` for a project or repository token (they speak for no
   * user). Building an actor from `principal.userId` alone would count as a session and let a
   * token manage tokens; use this instead. Read from the result (a getter): a spread copy does
   * not carry it.
   */
  readonly actor: TokenActor | null;
}

/** A token that failed, and why. `tokenId` is set once the secret matched a stored token. */
export interface VerifyFailure {
  readonly ok: false;
  readonly reason: VerifyFailureReason;
  readonly tokenId?: string;
  /** For `rate_limited`: milliseconds until the token may be used again (1 or more). */
  readonly retryAfterMs?: number;
}

/** The third argument of `verifyToken` and `authenticate`. */
export interface VerifyOptions {
  /**
   * The client's address, recorded in the token's `lastUsedIps` with the last-authenticated
   * write (same batching, same interval). Anything but an IPv4 or IPv6 address is ignored.
   */
  readonly clientIp?: string | null;
}

/** What `verifyToken` and `authenticate` resolve to. They never throw for a bad token. */
export type VerifyResult = VerifySuccess | VerifyFailure;
