import type { ServerResponse } from "node:http";

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
