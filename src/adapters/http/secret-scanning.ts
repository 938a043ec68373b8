import {
  type AccessTokens,
  type Awaitable,
  StoreUnavailableError,
  ValidationError,
} from "../../index.js";

/** One of GitHub's public keys for signing secret-scanning alerts (from `/meta/public_keys/secret_scanning`). */
export interface SecretScanningPublicKey {
  readonly key_identifier: string;
  /** PEM, SPKI (`-----BEGIN PUBLIC KEY-----`), ECDSA P-256. */
  readonly key: string;
}

/** Options of {@link createSecretScanningHandler}. */
export interface SecretScanningHandlerOptions {
  /** The service whose `revokeLeaked` receives the reported strings. */
  readonly tokens: Pick<AccessTokens, "revokeLeaked">;
  /**
   * The keys a request may be signed with: usually GitHub's, fetched from
   * `https://api.github.com/meta/public_keys/secret_scanning` and cached by the host.
   */
  readonly publicKeys: () => Awaitable<readonly SecretScanningPublicKey[]>;
  /** The largest body read, in bytes; a larger one gets 413 unread. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

/** One match GitHub reports. */
interface ReportedMatch {
  readonly token: string;
  readonly type: string;
  readonly url: string;
  readonly source: string;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Reported strings revoked at once (each is one store lookup). */
const CONCURRENCY = 16;

/**
 * GitHub's secret-scanning partner endpoint as a Fetch handler (Node 20+, Bun, Deno, Workers).
 * It checks the signature (ECDSA P-256 / SHA-256 over the raw body, base64 DER in
 * `Github-Public-Key-Signature`, key named by `Github-Public-Key-Identifier`) with WebCrypto
 * before it parses anything, revokes the live tokens among the reported strings (reason
 * `leaked`, with each match's `source` and `url` in the event, left out when `revokeLeaked`
 * refuses them: over 2048 characters, say) and answers GitHub's feedback:
 * `true_positive` for a string that is a stored token's secret, else `false_positive`.
 *
 * Answers: 200 with the feedback; 401 for a missing or unknown key id or a bad signature
 * (nothing revoked); 400 for a body that is not an array of matches; 413 for a body over
 * `maxBodyBytes`; 405 for a method other than POST; 503 when the token store is unavailable
 * (GitHub sends the alert again). Reported strings are never logged.
 *
 * @example
 * ```ts
 * import { createSecretScanningHandler } from "patkit/http";
 *
 * const onAlert = createSecretScanningHandler({ tokens, publicKeys: () => githubKeys.current() });
 * // Hono: app.post("/github/secret-scanning", (c) => onAlert(c.req.raw));
 * ```
 */
export function createSecretScanningHandler(
  options: SecretScanningHandlerOptions,
): (request: Request) => Promise<Response> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new TypeError("maxBodyBytes must be a whole number of bytes, 1 or more");
  }

  return async function handleSecretScanningAlert(request: Request): Promise<Response> {
    if (request.method !== "POST") return answer(405, { message: "Use POST" });
    const keyId = request.headers.get("github-public-key-identifier");
    const signature = request.headers.get("github-public-key-signature");
    if (!keyId || !signature) return answer(401, { message: "Missing signature headers" });
    const body = await readCapped(request, maxBodyBytes);
    if (body === null) return answer(413, { message: "Body too large" });

    const keys = await options.publicKeys();
    const key = keys.find((candidate) => candidate.key_identifier === keyId);
    if (key === undefined || !(await verifySignature(key.key, signature, body))) {
      return answer(401, { message: "Unknown key or bad signature" });
    }

    const matches = parseMatches(body);
    if (matches === null) return answer(400, { message: "Expected a JSON array of matches" });
    try {
      return answer(200, await feedbackOn(matches));
    } catch (error) {
      // GitHub retries an alert that failed: say so, without a word about the tokens.
      if (error instanceof StoreUnavailableError)
        return answer(503, { message: "Try again later" });
      throw error;
    }
  };

  async function feedbackOn(matches: readonly ReportedMatch[]) {
    const feedback: { token_raw: string; token_type: string; label: string }[] = [];
    for (let start = 0; start < matches.length; start += CONCURRENCY) {
      const batch = matches.slice(start, start + CONCURRENCY);
      const results = await Promise.all(batch.map(revoke));
      batch.forEach((match, index) => {
        feedback.push({
          token_raw: match.token,
          token_type: match.type,
          label: (results[index]?.matched ?? 0) > 0 ? "true_positive" : "false_positive",
        });
      });
    }
    return feedback;
  }

  // The report only annotates the event: one revokeLeaked refuses (a url over its length limit,
  // a NUL in the source) must not keep a leaked token alive, so the token goes without it.
  function revoke(match: ReportedMatch) {
    const report = { source: match.source, url: match.url };
    return options.tokens.revokeLeaked([match.token], report).catch((error: unknown) => {
      const aboutReport =
        error instanceof ValidationError &&
        error.fields.every((field) => field.startsWith("report"));
      if (!aboutReport) throw error;
      return options.tokens.revokeLeaked([match.token]);
    });
  }
}

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** The body's bytes, or `null` once it is longer than `max` (read no further). */
async function readCapped(request: Request, max: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) return null;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The array of matches, or `null` when the body is anything else. */
function parseMatches(body: Uint8Array): ReportedMatch[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const matches: ReportedMatch[] = [];
  for (const item of parsed) {
    if (typeof item !== "object" || item === null) return null;
    const { token, type, url, source } = item as Record<string, unknown>;
    if (typeof token !== "string" || typeof type !== "string") return null;
    matches.push({
      token,
      type,
      url: typeof url === "string" ? url : "",
      source: typeof source === "string" ? source : "",
    });
  }
  return matches;
}

/** True when `signature` (base64 DER ECDSA) signs `body` under the PEM SPKI P-256 `pem`. */
async function verifySignature(
  pem: string,
  signature: string,
  body: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  try {
    const spki = base64Bytes(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, ""));
    const der = base64Bytes(signature);
    const raw = der === null ? null : derToRaw(der, 32);
    if (spki === null || raw === null) return false;
    const key = await crypto.subtle.importKey(
      "spki",
      spki,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, body);
  } catch {
    // A key that is not P-256 SPKI, or a signature WebCrypto refuses: not a valid signature.
    return false;
  }
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> | null {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  try {
    const binary = atob(compact);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/**
 * An ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }` as the fixed-width `r || s` WebCrypto takes
 * (IEEE P1363), or `null` when it is not exactly that.
 */
export function derToRaw(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> | null {
  if (der.length < 8 || der[0] !== 0x30) return null;
  let offset = 2;
  let length = der[1] as number;
  if (length === 0x81) {
    length = der[2] as number;
    offset = 3;
  } else if (length > 0x7f) return null;
  if (offset + length !== der.length) return null;
  const raw = new Uint8Array(size * 2);
  for (const half of [0, 1]) {
    if (der[offset] !== 0x02) return null;
    const intLength = der[offset + 1] as number;
    if (intLength < 1 || intLength > 0x7f) return null;
    let start = offset + 2;
    let count = intLength;
    if (start + count > der.length) return null;
    // DER prepends a zero byte to a positive integer whose top bit is set; drop leading zeros.
    while (count > size && der[start] === 0) {
      start++;
      count--;
    }
    if (count > size) return null;
    raw.set(der.subarray(start, start + count), half * size + (size - count));
    offset = offset + 2 + intLength;
  }
  return offset === der.length ? raw : null;
}
