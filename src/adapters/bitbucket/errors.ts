import { PatkitError, ValidationError } from "../../index.js";

/** One entry of Bitbucket's error answer. */
export interface BitbucketErrorMessage {
  /** The field at fault (e.g. `"name"`), or `null`. */
  readonly context: string | null;
  readonly message: string;
  /** A Java class name in Bitbucket's style, e.g. `com.atlassian.bitbucket.AuthorisationException`. */
  readonly exceptionName: string;
}

/** Bitbucket's error answer: `{ errors: [{ context, message, exceptionName }] }`. */
export interface BitbucketErrorBody {
  readonly errors: readonly BitbucketErrorMessage[];
}

/** The exception names the handler answers with, in Bitbucket's style. */
export const EXCEPTION_NAMES = {
  authorisation: "com.atlassian.bitbucket.AuthorisationException",
  validation: "com.atlassian.bitbucket.validation.ArgumentValidationException",
  noSuchUser: "com.atlassian.bitbucket.user.NoSuchUserException",
  noSuchProject: "com.atlassian.bitbucket.project.NoSuchProjectException",
  noSuchRepository: "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
  noSuchToken: "com.atlassian.bitbucket.auth.NoSuchAccessTokenException",
  noSuchResource: "com.atlassian.bitbucket.rest.NoSuchResourceException",
  policy: "com.atlassian.bitbucket.auth.AccessTokenPolicyException",
  limit: "com.atlassian.bitbucket.auth.AccessTokenLimitExceededException",
  expiry: "com.atlassian.bitbucket.auth.AccessTokenExpiryException",
  conflict: "com.atlassian.bitbucket.ConcurrentModificationException",
  methodNotAllowed: "com.atlassian.bitbucket.rest.MethodNotAllowedException",
  mediaType: "com.atlassian.bitbucket.rest.UnsupportedMediaTypeException",
  tooLarge: "com.atlassian.bitbucket.rest.RequestEntityTooLargeException",
  unavailable: "com.atlassian.bitbucket.ServiceUnavailableException",
  server: "com.atlassian.bitbucket.ServiceException",
} as const;

/** A Bitbucket-shaped JSON error `Response`. */
export function errorResponse(
  status: number,
  message: string,
  exceptionName: string,
  options: { context?: string | null; headers?: Record<string, string> } = {},
): Response {
  return errorsResponse(
    status,
    [{ context: options.context ?? null, message, exceptionName }],
    options.headers,
  );
}

function errorsResponse(
  status: number,
  errors: readonly BitbucketErrorMessage[],
  headers: Record<string, string> = {},
): Response {
  const body: BitbucketErrorBody = { errors };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json;charset=UTF-8", ...headers },
  });
}

/** 401: Bitbucket answers the same for "not signed in" and "not permitted". */
export function unauthorized(message: string): Response {
  return errorResponse(401, message, EXCEPTION_NAMES.authorisation);
}

/** 400 with one message per field at fault. */
export function badRequest(message: string, context: string | null = null): Response {
  return errorResponse(400, message, EXCEPTION_NAMES.validation, { context });
}

/**
 * The answer to a patkit error: its message (written for people, never echoing input or
 * secrets) with Bitbucket's status for that case. Anything else is not an answer: `null`.
 */
export function patkitErrorResponse(error: unknown): Response | null {
  if (!(error instanceof PatkitError)) return null;
  if (error instanceof ValidationError) {
    return errorsResponse(
      400,
      error.issues.map((issue) => ({
        context: issue.path.length > 0 ? issue.path.join(".") : null,
        message: issue.message,
        exceptionName: EXCEPTION_NAMES.validation,
      })),
    );
  }
  const [status, exceptionName] = STATUS_OF[error.code];
  return errorResponse(status, error.message, exceptionName);
}

const STATUS_OF: Record<PatkitError["code"], readonly [number, string]> = {
  VALIDATION_FAILED: [400, EXCEPTION_NAMES.validation],
  // Bitbucket answers 401, never 403, when a signed-in user may not do something.
  FORBIDDEN: [401, EXCEPTION_NAMES.authorisation],
  NOT_FOUND: [404, EXCEPTION_NAMES.noSuchToken],
  POLICY_VIOLATION: [400, EXCEPTION_NAMES.policy],
  EXPIRY_IMMUTABLE: [400, EXCEPTION_NAMES.expiry],
  LIMIT_EXCEEDED: [400, EXCEPTION_NAMES.limit],
  CONFLICT: [409, EXCEPTION_NAMES.conflict],
  STORE_UNAVAILABLE: [503, EXCEPTION_NAMES.unavailable],
};
