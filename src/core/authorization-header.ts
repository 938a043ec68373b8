/** A Bearer credential (RFC 6750). */
export interface BearerCredential {
  readonly ok: true;
  readonly scheme: "bearer";
  readonly token: string;
}

/** A Basic credential (RFC 7617): the user-id and the password, decoded as UTF-8. */
export interface BasicCredential {
  readonly ok: true;
  readonly scheme: "basic";
  readonly username: string;
  readonly password: string;
}

/** A credential read from an `Authorization` header: what `tokens.authenticate` also accepts. */
export type AuthorizationCredential = BearerCredential | BasicCredential;

/**
 * Why an Authorization header gave no credential. The names are those of `patkit/http`'s
 * refusals: `missing_credentials` (no header, or an empty one), `malformed_header` (a Bearer or
 * Basic header that breaks RFC 6750 / RFC 7617), `unsupported_scheme` (e.g. Digest), which is
 * also the `VerifyFailureReason` of `tokens.authenticate` for it.
 */
export type AuthorizationProblem =
  | "missing_credentials"
  | "malformed_header"
  | "unsupported_scheme";

/** The outcome of {@link parseAuthorization}: a credential, or the reason there is none. */
export type ParsedAuthorization =
  | AuthorizationCredential
  | { readonly ok: false; readonly reason: AuthorizationProblem };

/** Longer headers are refused before any work: real Bearer and Basic credentials are far shorter. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

// RFC 6750 b64token and RFC 7617 token68 (base64 proper).
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

const MISSING = Object.freeze({ ok: false, reason: "missing_credentials" }) as ParsedAuthorization;
const MALFORMED = Object.freeze({ ok: false, reason: "malformed_header" }) as ParsedAuthorization;
const UNSUPPORTED = Object.freeze({
  ok: false,
  reason: "unsupported_scheme",
}) as ParsedAuthorization;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses an `Authorization` header value: `Bearer <token>` or `Basic <base64(user:password)>`,
 * scheme names case-insensitive, strictly by RFC 6750 / RFC 7617 otherwise. Total: any input
 * gives a result, nothing throws. Credentials are returned, never logged or put in messages.
 */
export function parseAuthorization(header: unknown): ParsedAuthorization {
  if (typeof header !== "string") return MISSING;
  if (header.length > MAX_AUTHORIZATION_LENGTH) return MALFORMED;
  const value = trimSpaces(header);
  if (value === "") return MISSING;
  const space = value.indexOf(" ");
  const scheme = (space < 0 ? value : value.slice(0, space)).toLowerCase();
  if (space < 0)
    return scheme === "bearer" || scheme === "basic" || !isToken(scheme) ? MALFORMED : UNSUPPORTED;
  const credentials = value.slice(space + 1).replace(/^ +/, "");
  if (scheme === "bearer") {
    return B64TOKEN.test(credentials)
      ? { ok: true, scheme: "bearer", token: credentials }
      : MALFORMED;
  }
  if (scheme === "basic") return parseBasic(credentials);
  return isToken(scheme) ? UNSUPPORTED : MALFORMED;
}

// By hand: a regex trim of both ends backtracks quadratically on long runs of inner spaces.
function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

function parseBasic(credentials: string): ParsedAuthorization {
  if (!BASE64.test(credentials)) return MALFORMED;
  let decoded: string;
  try {
    const binary = atob(credentials);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    decoded = utf8.decode(bytes);
  } catch {
    return MALFORMED;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return MALFORMED;
  return {
    ok: true,
    scheme: "basic",
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
  };
}

// RFC 7230 token characters: what an auth-scheme name may be made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isToken(text: string): boolean {
  return TOKEN.test(text);
}
