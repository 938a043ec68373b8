/** The stable codes of patkit's errors, one per class. */
export type PatkitErrorCode =
  | "VALIDATION_FAILED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "POLICY_VIOLATION"
  | "EXPIRY_IMMUTABLE"
  | "LIMIT_EXCEEDED"
  | "CONFLICT"
  | "STORE_UNAVAILABLE";

/** Where docs/errors.md is published: each code has a section there, anchored by the code. */
export const ERRORS_DOC_URL = "https://github.com/patkit/patkit/blob/main/docs/errors.md";

/**
 * The base class of every error patkit throws on purpose. Match on `code`, which never
 * changes; show `message` to people; follow `docsUrl` for what it means and what to do.
 */
export class PatkitError extends Error {
  readonly code: PatkitErrorCode;

  constructor(code: PatkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The section of the errors guide that explains this code, e.g. `…/docs/errors.md#not_found`. */
  get docsUrl(): string {
    return `${ERRORS_DOC_URL}#${this.code.toLowerCase()}`;
  }
}

/** One problem with an input: where it is (`path`, as in zod) and what is wrong. */
export interface ValidationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Input that does not fit the contract. `issues` name each field (for programs); the message
 * lists them for people, e.g. `name: Must not be empty`. Values are never echoed.
 */
export class ValidationError extends PatkitError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super("VALIDATION_FAILED", issues.map(describeIssue).join("; "));
    this.issues = issues;
  }

  /** The dotted paths of the fields at fault, e.g. `["owner.userId", "permissions"]`. */
  get fields(): string[] {
    return this.issues.map((issue) => issue.path.join("."));
  }
}

function describeIssue(issue: ValidationIssue): string {
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}

/** The actor may not do this (wrong user, not an admin, or signed in with a token). */
export class ForbiddenError extends PatkitError {
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}

/** No token has this id. */
export class NotFoundError extends PatkitError {
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

/** The request breaks the global policy (expiry required, or longer than the maximum). */
export class PolicyViolationError extends PatkitError {
  constructor(message: string) {
    super("POLICY_VIOLATION", message);
  }
}

/** A token's expiry is set once and never changes afterwards. */
export class ExpiryImmutableError extends PatkitError {
  constructor(message = "A token's expiry cannot be changed once it is set") {
    super("EXPIRY_IMMUTABLE", message);
  }
}

/** The owner already holds as many live tokens as the policy allows. */
export class LimitExceededError extends PatkitError {
  readonly limit: number;

  constructor(limit: number) {
    super("LIMIT_EXCEEDED", `This owner already holds the maximum of ${limit} active tokens`);
    this.limit = limit;
  }
}

/** The token changed since it was read (a concurrent edit), or is in a state that forbids this. */
export class ConflictError extends PatkitError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

/** The store could not answer (connection lost, timeout, ...). The cause is attached. */
export class StoreUnavailableError extends PatkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_UNAVAILABLE", message, options);
  }
}
