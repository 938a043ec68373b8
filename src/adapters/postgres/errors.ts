import {
  ConflictError,
  ExpiryImmutableError,
  LimitExceededError,
  type PatkitError,
  StoreUnavailableError,
  ValidationError,
} from "../../index.js";

/** SQLSTATE raised by patkit's insert function when the owner is at its limit. */
export const LIMIT_EXCEEDED_STATE = "PT001";
/** SQLSTATE raised by patkit's trigger when an UPDATE sets a set expiry. */
export const EXPIRY_IMMUTABLE_STATE = "PT002";

/** How many times a statement runs when it keeps losing serialization conflicts. */
export const SERIALIZATION_ATTEMPTS = 10;

/**
 * Whether the statement lost a serialization conflict (40001) or a deadlock (40P01): its
 * transaction rolled back, and running it again may succeed.
 */
export function isSerializationFailure(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return code === "40001" || code === "40P01";
}

/** A short random pause before attempt `attempt + 1`, so the statements that collided spread out. */
export function serializationPause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a statement is doing, so a driver error it raises becomes the right patkit error. */
export interface StatementContext {
  readonly operation: string;
  /** The limit the insert ran with, for `LimitExceededError`. */
  readonly limit?: number | null;
}

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  column?: unknown;
}

/**
 * Maps a driver failure to a patkit error: patkit's own SQLSTATEs, constraint violations and
 * values the database cannot hold to the matching class, everything else (refused or lost connections, terminated backends,
 * timeouts, a missing schema) to `StoreUnavailableError` with the cause attached.
 */
export function toPatkitError(error: unknown, context: StatementContext): PatkitError {
  const { code, constraint, column } = (error ?? {}) as DriverError;
  switch (code) {
    case LIMIT_EXCEEDED_STATE:
      return new LimitExceededError(context.limit ?? 0);
    case EXPIRY_IMMUTABLE_STATE:
      return new ExpiryImmutableError();
    case "23505":
      return new ConflictError("A token with this id exists");
    case "23502":
    case "23514":
      // The failing row is in the driver's message; it holds the hash, so it is not attached.
      return new ValidationError([
        {
          path: [fieldOf(String(constraint ?? column ?? ""))],
          message: "Rejected by the database",
        },
      ]);
  }
  if (typeof code === "string" && code.startsWith("22")) {
    // Data exceptions: a value PostgreSQL cannot hold (a NUL character, a date out of range).
    return new ValidationError([
      {
        path: typeof column === "string" ? [fieldOf(column)] : [],
        message: "The database cannot hold this value",
      },
    ]);
  }
  return new StoreUnavailableError(unavailableMessage(code, context.operation), {
    cause: withoutParameters(error),
  });
}

function unavailableMessage(code: unknown, operation: string): string {
  if (code === "42P01" || code === "42883" || code === "3F000") {
    return `The token store failed (${operation}): patkit's tables are missing; run migrate() first`;
  }
  return `The token store failed (${operation})`;
}

const FIELDS: readonly [string, string][] = [
  ["owner", "owner"],
  ["user_id", "owner"],
  ["project_id", "owner"],
  ["repository_id", "owner"],
  ["permission", "permissions"],
  ["secret_hash", "secretHash"],
  ["created_by", "createdBy"],
  ["created_at", "createdAt"],
  ["version", "version"],
  ["name", "name"],
  ["id", "id"],
  ["max_expiry_days", "maxExpiryDays"],
  ["max_tokens_per_owner", "maxTokensPerOwner"],
];

/** The record field a constraint or column name is about. */
function fieldOf(name: string): string {
  for (const [fragment, field] of FIELDS) if (name.includes(fragment)) return field;
  return "record";
}

/**
 * PGlite attaches the statement's parameters to its errors, and they may hold a secret hash:
 * they must not travel on as a cause that someone logs.
 */
function withoutParameters(error: unknown): unknown {
  if (typeof error === "object" && error !== null && "params" in error) {
    try {
      Object.defineProperty(error, "params", { value: undefined, enumerable: false });
    } catch {
      return new Error(String((error as { message?: unknown }).message ?? "database error"));
    }
  }
  return error;
}
