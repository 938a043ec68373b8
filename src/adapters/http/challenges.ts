import { ValidationError } from "../../index.js";

/** The realm patkit names in its challenges unless told otherwise. */
export const DEFAULT_REALM = "patkit";

// A realm goes into a quoted-string of a response header: no control characters, no line breaks.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const UNSAFE_REALM = /[\u0000-\u001f\u007f]/;

/** The realm as a quoted-string (RFC 9110), after checking it cannot break the header. */
export function quotedRealm(realm: unknown, path: readonly string[] = ["realm"]): string {
  if (typeof realm !== "string" || realm.length === 0 || realm.length > 200) {
    throw new ValidationError([{ path, message: "Expected a string of 1 to 200 characters" }]);
  }
  if (UNSAFE_REALM.test(realm)) {
    throw new ValidationError([{ path, message: "Must not contain control characters" }]);
  }
  return `"${realm.replace(/["\\]/g, "\\$&")}"`;
}

/** The `error` attribute of an RFC 6750 Bearer challenge. */
export type BearerErrorCode = "invalid_request" | "invalid_token" | "insufficient_scope";

/** The challenges to send, built once per realm and setting. */
export interface Challenges {
  /** `WWW-Authenticate` values for a response, one header line each. */
  forError(error: BearerErrorCode | null): readonly string[];
}

/**
 * Builds the `WWW-Authenticate` values: a Bearer challenge (with the RFC 6750 `error` when there
 * is one) and, when `basic` is set, a Basic challenge too. Git only sends the credentials of a
 * URL (`https://user:token@host/...`) after a 401 that offers Basic.
 */
export function createChallenges(realm: string = DEFAULT_REALM, basic = false): Challenges {
  const quoted = quotedRealm(realm);
  const basicChallenge = basic ? [`Basic realm=${quoted}`] : [];
  const cache = new Map<BearerErrorCode | null, readonly string[]>();
  for (const error of [null, "invalid_request", "invalid_token", "insufficient_scope"] as const) {
    const bearer =
      error === null ? `Bearer realm=${quoted}` : `Bearer realm=${quoted}, error="${error}"`;
    cache.set(error, Object.freeze([...basicChallenge, bearer]));
  }
  return { forError: (error) => cache.get(error) ?? [] };
}
