import type { Actor, Policy, TokenView } from "./types.js";

/** A change to one token, emitted after it is stored. */
export interface TokenEvent {
  readonly type: "token.created" | "token.updated" | "token.revoked";
  readonly at: Date;
  /** Who made the change; `null` when patkit acted on its own (maintenance revoking an unused token). */
  readonly actor: Actor | null;
  readonly token: TokenView;
  /** For `token.updated`: which fields changed. */
  readonly changes?: readonly ("name" | "permissions" | "expiresAt")[];
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
export type AccessTokenEvent = TokenEvent | PolicyEvent | ExpiryNoticeEvent | UserErasedEvent;

/** Where a failure off the response path came from. */
export interface ErrorContext {
  readonly source: "onEvent" | "lastAuthenticated" | "rehash" | "watch";
}

/**
 * Calls the host's hooks so that nothing they do can fail a call: a throw or a rejection goes
 * to `onError`, and a throwing `onError` is swallowed.
 */
export function createHookRunner(
  onEvent: ((event: AccessTokenEvent) => unknown) | undefined,
  onError: ((error: unknown, context: ErrorContext) => unknown) | undefined,
) {
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

  /**
   * Calls `onEvent` and waits for it: `true` when it returned or resolved, `false` when it threw
   * or rejected (the error goes to `onError`). Expiry notices use it to hand a claim back.
   */
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

/** The hook runner the core uses. */
export type HookRunner = ReturnType<typeof createHookRunner>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
