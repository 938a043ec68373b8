import type { IncomingMessage, ServerResponse } from "node:http";
import { PatkitError, type PatkitErrorCode, ValidationError } from "patkit";

/** The HTTP status of each patkit error code in the management API. */
export const ERROR_STATUS: Readonly<Record<PatkitErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  POLICY_VIOLATION: 422,
  EXPIRY_IMMUTABLE: 409,
  LIMIT_EXCEEDED: 409,
  CONFLICT: 409,
  STORE_UNAVAILABLE: 503,
};

/** The error body of every JSON error of the demo server. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** For validation errors: the dotted paths of the fields at fault. */
    readonly fields?: readonly string[];
  };
}

/** Answers with a JSON body; `Date`s become ISO strings. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader("Content-Type", "application/json; charset=utf-8");
  response.setHeader("Cache-Control", "no-store");
  response.end(JSON.stringify(body));
}

/** Answers with a JSON error. */
export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  fields?: readonly string[],
): void {
  const body: ErrorBody = { error: fields ? { code, message, fields } : { code, message } };
  sendJson(response, status, body);
}

/**
 * Answers a failed management call: patkit's errors with their code and status, anything else
 * as a 500 that says nothing about the cause (which goes to `log`).
 */
export function sendFailure(
  response: ServerResponse,
  error: unknown,
  log: (line: string) => void,
): void {
  if (error instanceof ValidationError) {
    sendError(response, 400, error.code, error.message, error.fields);
  } else if (error instanceof PatkitError) {
    sendError(response, ERROR_STATUS[error.code] ?? 500, error.code, error.message);
  } else {
    log(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    sendError(response, 500, "INTERNAL", "Internal server error");
  }
}

const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON object body; an empty body is `{}`. Bad JSON is a `ValidationError`. */
export async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new ValidationError([{ path: ["body"], message: "The body is larger than 64 KiB" }]);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError([{ path: ["body"], message: "Expected a JSON object" }]);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError([{ path: ["body"], message: "Expected a JSON object" }]);
  }
  return value as Record<string, unknown>;
}
