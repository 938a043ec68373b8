import type { Owner, Permission, TokenView } from "./types.js";

/** Why a verification failed. */
export type VerifyFailureReason =
  | "malformed"
  | "unknown"
  | "expired"
  | "revoked"
  | "insufficient_permission"
  | "inactive_owner"
  | "wrong_scheme"
  /** A valid token over its `rateLimit` budget: `retryAfterMs` says when to try again. */
  | "rate_limited";

/**
 * Who a verified token speaks for: its owner, the token's id and levels, and `via: "token"`.
 * A personal token's principal carries `userId`, so it can be passed as an {@link Actor}: every
 * management call then refuses it, as it should.
 */
export type Principal = Owner & {
  readonly tokenId: string;
  readonly permissions: readonly Permission[];
  readonly via: "token";
};

/** A token that passed: its view and the principal to attach to the request. */
export interface VerifySuccess {
  readonly ok: true;
  readonly token: TokenView;
  readonly principal: Principal;
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
