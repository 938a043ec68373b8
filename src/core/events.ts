import type { Actor, Policy, RevokedReason, TokenView } from "./types.js";

/** Who reported leaked tokens to `revokeLeaked`, as the report said (e.g. GitHub's `source` and `url`). */
export interface LeakReport {
  readonly source: string | null;
  readonly url: string | null;
}

/** A change to one token, emitted after it is stored. */
export interface TokenEvent {
  readonly type: "token.created" | "token.updated" | "token.revoked";
  readonly at: Date;
  /**
   * Who made the change; `null` when patkit acted on its own (maintenance revoking an unused
   * token, leaked-token intake).
   */
  readonly actor: Actor | null;
  readonly token: TokenView;
  /** For `token.updated`: which fields changed. */
  readonly changes?: readonly ("name" | "permissions" | "expiresAt")[];
  /** For `token.revoked`: why (`manual`, `leaked`, `unused`). */
  readonly reason?: RevokedReason;
  /** For `token.revoked` with reason `leaked`: where the report came from. */
  readonly report?: LeakReport;
}

/** A token was rotated: `token` is the new one, `previous` the old one (working until its grace ends). */
export interface TokenRotatedEvent {
  readonly type: "token.rotated";
  readonly at: Date;
  readonly actor: Actor;
  readonly token: TokenView;
  readonly previous: TokenView;
}

/**
 * A rotated-out secret was used after its grace period: a forgotten automation, or someone
 * who copied it. Emitted at most once per token per minute; nothing is revoked by it.
 */
export interface TokenReusedEvent {
  readonly type: "token.reused";
  readonly at: Date;
  readonly actor: null;
  readonly token: TokenView;
}

/** A change to the global policy, emitted after it is stored. */
export interface PolicyEvent {
  readonly type: "policy.updated";
  readonly at: Date;
  readonly actor: Actor;
  readonly policy: Policy;
  readonly previous: Policy;
  readonly token?: undefined;
}

/**
 * An expiry notice from `runMaintenance`, sent once per threshold and token: `token.expiring`
 * with the threshold `daysLeft` (of `expiryNotices.days`), then `token.expired` once it has.
 */
export type ExpiryNoticeEvent =
  | {
      readonly type: "token.expiring";
      readonly at: Date;
      readonly actor: null;
      readonly token: TokenView;
      readonly daysLeft: number;
    }
  | {
      readonly type: "token.expired";
      readonly at: Date;
      readonly actor: null;
      readonly token: TokenView;
    };

/** A user's tokens were erased; the event carries the pseudonym, never the user id. */
export interface UserErasedEvent {
  readonly type: "user.erased";
  readonly at: Date;
  readonly actor: Actor;
  readonly pseudonym: string;
  readonly token?: undefined;
}

/** Every event patkit emits, for the host's audit log. Secrets and hashes never appear in one. */
export type AccessTokenEvent =
  | TokenEvent
  | TokenRotatedEvent
  | TokenReusedEvent
  | PolicyEvent
  | ExpiryNoticeEvent
  | UserErasedEvent;

/** Where a failure off the response path came from. */
export interface ErrorContext {
  readonly source: "onEvent" | "lastAuthenticated" | "rehash" | "watch";
}

/** The hook runner the core uses. */
export interface HookRunner {
  /** Calls `onEvent` without waiting; its failure goes to `onError`. */
  emit(event: AccessTokenEvent): void;
  /**
   * Calls `onEvent` and waits for it: `true` when it returned or resolved, `false` when it threw
   * or rejected (the error goes to `onError`). Expiry notices use it to hand a claim back.
   */
  deliver(event: AccessTokenEvent): Promise<boolean>;
  /** Hands an error off the response path to `onError`; a throwing `onError` is swallowed. */
  report(error: unknown, context: ErrorContext): void;
}

/**
 * Calls the host's hooks so that nothing they do can fail a call: a throw or a rejection goes
 * to `onError`, and a throwing `onError` is swallowed.
 */
export function createHookRunner(
  onEvent: ((event: AccessTokenEvent) => unknown) | undefined,
  onError: ((error: unknown, context: ErrorContext) => unknown) | undefined,
): HookRunner {
  function report(error: unknown, context: ErrorContext): void {
    if (!onError) return;
    try {
      const result = onError(error, context);
      if (isThenable(result)) result.then(undefined, () => {});
    } catch {
      // The error hook failed too: nowhere left to report, and the call must not fail.
    }
  }

  function emit(event: AccessTokenEvent): void {
    if (!onEvent) return;
    try {
      const result = onEvent(event);
      if (isThenable(result))
        result.then(undefined, (error) => report(error, { source: "onEvent" }));
    } catch (error) {
      report(error, { source: "onEvent" });
    }
  }

  async function deliver(event: AccessTokenEvent): Promise<boolean> {
    if (!onEvent) return true;
    try {
      await onEvent(event);
      return true;
    } catch (error) {
      report(error, { source: "onEvent" });
      return false;
    }
  }

  return { emit, deliver, report };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
