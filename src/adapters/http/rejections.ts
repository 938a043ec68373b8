import type {
  AuthorizationProblem,
  StoreUnavailableError,
  VerifyFailureReason,
} from "../../index.js";
import type { BearerErrorCode, Challenges } from "./challenges.js";

/**
 * Why a request was refused: the header parser's problems (`missing_credentials`,
 * `malformed_header`, `unsupported_scheme`), the verify reasons of `tokens.authenticate` (where
 * `malformed` is then a header that parsed but carries no well-formed token), or
 * `store_unavailable`. One name per failure, shared with the core. Reasons go to the `onReject`
 * hook, never to the client.
 */
export type RejectionReason =
  | AuthorizationProblem
  | VerifyFailureReason
  /** The token store could not answer: the request fails closed. */
  | "store_unavailable";

/** The JSON body of a refusal: a stable code and a generic message, never the credential. */
export interface RejectionBody {
  readonly error: {
    readonly code: RejectionCode;
    readonly message: string;
  };
}

/** The `code` of a refusal body: the RFC 6750 error, or a code for the other cases. */
export type RejectionCode =
  | BearerErrorCode
  | "authentication_required"
  | "temporarily_unavailable"
  | "too_many_requests";

/** A refused request: what to answer (status, headers, JSON body) and, for the audit hook, why. */
export interface HttpRejection {
  readonly ok: false;
  /**
   * 400 malformed header, 401 missing or invalid credentials, 403 insufficient permission, 429
   * over the token's rate limit (with `Retry-After`), 503 store down.
   */
  readonly status: 400 | 401 | 403 | 429 | 503;
  /** Why, for the host's audit log; the client only sees the generic body. */
  readonly reason: RejectionReason;
  /** The token's id, once the secret matched a stored token (expired, revoked, ...). */
  readonly tokenId?: string;
  /** The store's error, for `store_unavailable`. */
  readonly error?: StoreUnavailableError;
  /** For `rate_limited`: milliseconds until the token may be used again. */
  readonly retryAfterMs?: number;
  /** Response headers in order, one entry per line (a `WWW-Authenticate` per challenge). */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: RejectionBody;
}

const MESSAGES: Readonly<Record<RejectionCode, string>> = {
  authentication_required: "Authentication required: send an access token",
  invalid_request: "The Authorization header is malformed",
  invalid_token: "The access token is invalid, expired or revoked",
  insufficient_scope: "The access token does not grant the permission this request needs",
  temporarily_unavailable: "Token verification is temporarily unavailable; try again later",
  too_many_requests: "Too many requests with this access token; retry after the time given",
};

interface Shape {
  readonly status: HttpRejection["status"];
  readonly code: RejectionCode;
  readonly challenge: BearerErrorCode | null | "none";
}

const SHAPES: Readonly<Record<RejectionReason, Shape>> = {
  // RFC 6750 3.1: no error code when the request carried no usable credentials.
  missing_credentials: { status: 401, code: "authentication_required", challenge: null },
  unsupported_scheme: { status: 401, code: "authentication_required", challenge: null },
  malformed_header: { status: 400, code: "invalid_request", challenge: "invalid_request" },
  malformed: { status: 401, code: "invalid_token", challenge: "invalid_token" },
  unknown: { status: 401, code: "invalid_token", challenge: "invalid_token" },
  expired: { status: 401, code: "invalid_token", challenge: "invalid_token" },
  revoked: { status: 401, code: "invalid_token", challenge: "invalid_token" },
  inactive_owner: { status: 401, code: "invalid_token", challenge: "invalid_token" },
  wrong_scheme: { status: 401, code: "invalid_token", challenge: "invalid_token" },
  insufficient_permission: {
    status: 403,
    code: "insufficient_scope",
    challenge: "insufficient_scope",
  },
  rate_limited: { status: 429, code: "too_many_requests", challenge: "none" },
  store_unavailable: { status: 503, code: "temporarily_unavailable", challenge: "none" },
};

const BASE_HEADERS = [
  ["Content-Type", "application/json; charset=utf-8"],
  ["Cache-Control", "no-store"],
] as const;

/** The refusal for `reason`, with the challenges of `challenges`. */
export function createRejection(
  reason: RejectionReason,
  challenges: Challenges,
  details: { tokenId?: string; error?: StoreUnavailableError; retryAfterMs?: number } = {},
): HttpRejection {
  const shape = SHAPES[reason];
  const authenticate: (readonly [string, string])[] =
    shape.challenge === "none"
      ? []
      : challenges.forError(shape.challenge).map((value) => ["WWW-Authenticate", value] as const);
  // Retry-After is in whole seconds (RFC 9110 10.2.3): rounded up, so a retry is never early.
  if (details.retryAfterMs !== undefined)
    authenticate.push(["Retry-After", String(Math.max(1, Math.ceil(details.retryAfterMs / 1000)))]);
  const rejection: {
    -readonly [K in keyof HttpRejection]: HttpRejection[K];
  } = {
    ok: false,
    status: shape.status,
    reason,
    headers: [...authenticate, ...BASE_HEADERS],
    body: { error: { code: shape.code, message: MESSAGES[shape.code] } },
  };
  if (details.tokenId !== undefined) rejection.tokenId = details.tokenId;
  if (details.error !== undefined) rejection.error = details.error;
  if (details.retryAfterMs !== undefined) rejection.retryAfterMs = details.retryAfterMs;
  return rejection;
}

/** The headers of a rejection grouped by name, for APIs that take one value or a list per name. */
export function groupedHeaders(rejection: HttpRejection): Record<string, string | string[]> {
  const grouped: Record<string, string | string[]> = {};
  for (const [name, value] of rejection.headers) {
    const existing = grouped[name];
    if (existing === undefined) grouped[name] = value;
    else grouped[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return grouped;
}
