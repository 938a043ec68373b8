import type { Actor, Policy, TokenView } from "./types.js";

/** A change to one token, emitted after it is stored. */
export interface TokenEvent {
  readonly type: "token.created" | "token.updated" | "token.revoked";
  readonly at: Date;
  readonly actor: Actor;
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

/** Every event patkit emits, for the host's audit log. Secrets and hashes never appear in one. */
export type AccessTokenEvent = TokenEvent | PolicyEvent;

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

  return { emit, report };
}

/** The hook runner the core uses. */
export type HookRunner = ReturnType<typeof createHookRunner>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
