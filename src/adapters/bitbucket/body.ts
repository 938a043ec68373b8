import { badRequest, EXCEPTION_NAMES, errorResponse } from "./errors.js";

/** The largest request body the handler reads: a token request is well under 1 KiB. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A JSON object read from a request body, or the error `Response` to answer. */
export type BodyResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly response: Response };

/**
 * Reads the body as one JSON object: `application/json` (any charset parameter), at most
 * {@link MAX_BODY_BYTES} (a longer body is not read further: 413), keys limited to `allowed`
 * (`null`: any, for the callee to check).
 * An empty body reads as `{}` when `emptyAllowed`.
 */
export async function readJsonObject(
  request: Request,
  allowed: readonly string[] | null,
  emptyAllowed: boolean,
): Promise<BodyResult> {
  const type = request.headers.get("content-type");
  const text = await readCapped(request);
  if (text === null) {
    return fail(
      errorResponse(
        413,
        `The request body exceeds ${MAX_BODY_BYTES} bytes`,
        EXCEPTION_NAMES.tooLarge,
      ),
    );
  }
  if (text.trim() === "") {
    return emptyAllowed
      ? { ok: true, value: {} }
      : fail(badRequest("A JSON request body is required"));
  }
  if (type === null || !/^application\/json\s*(;|$)/i.test(type)) {
    return fail(
      errorResponse(415, "The request body must be application/json", EXCEPTION_NAMES.mediaType),
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(badRequest("The request body is not valid JSON"));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(badRequest("The request body must be a JSON object"));
  }
  const unknown = allowed && Object.keys(value).filter((key) => !allowed.includes(key));
  if (allowed && unknown && unknown.length > 0) {
    // The key is the client's text: name how many, not which (it may be anything).
    return fail(badRequest(`Unknown field; the fields are ${allowed.join(", ")}`, "request"));
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function fail(response: Response): BodyResult {
  return { ok: false, response };
}

/** The body as UTF-8 text, or `null` once it passes the cap (the rest is not read). */
async function readCapped(request: Request): Promise<string | null> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    await request.body?.cancel().catch(() => undefined);
    return null;
  }
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
