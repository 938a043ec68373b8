import { base62Digit, encodeBase62Fixed, randomBase62 } from "./base62.js";
import { CRC32_START, crc32Ascii, crc32Finish, crc32Step } from "./crc32.js";

/** Characters of the public token id embedded in every token (about 95 bits). */
export const TOKEN_ID_LENGTH = 16;
/** Characters of the secret: 43 base-62 characters carry 256.03 bits from the CSPRNG. */
export const TOKEN_SECRET_LENGTH = 43;
/** Characters of the CRC-32 checksum, in base 62 (62^6 > 2^32). */
export const TOKEN_CHECKSUM_LENGTH = 6;
/** Characters after `<prefix>_`. */
export const TOKEN_BODY_LENGTH = TOKEN_ID_LENGTH + TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH;

/** The default prefix: tokens look like `pat_…`. */
export const DEFAULT_TOKEN_PREFIX = "pat";

const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/** True when `prefix` is a valid token prefix: 1 to 16 lower-case letters and digits, starting with a letter. */
export function isValidPrefix(prefix: unknown): prefix is string {
  return typeof prefix === "string" && PREFIX_PATTERN.test(prefix);
}

/**
 * The regular expression of a token with this prefix, e.g. `\bpat_[0-9A-Za-z]{65}\b`: a fresh,
 * non-global pattern, so `tokenPattern().test(s)` answers the same every time. A match is a
 * token when its last 6 characters are the base-62 CRC-32 of the 59 before them (see
 * {@link hasValidChecksum}). To find every token in a text, use {@link tokenScanPattern}.
 */
export function tokenPattern(prefix: string = DEFAULT_TOKEN_PREFIX): RegExp {
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${TOKEN_BODY_LENGTH}}\\b`);
}

/** The same pattern with the global flag, for `text.match(...)` and `matchAll` over a text. */
export function tokenScanPattern(prefix: string = DEFAULT_TOKEN_PREFIX): RegExp {
  return new RegExp(tokenPattern(prefix).source, "g");
}

/** Where the parts of a well-formed token string lie. */
export interface ParsedToken {
  /** The public token id. */
  readonly id: string;
  /** Index of the secret's first character in the token string. */
  readonly secretStart: number;
}

/** A new token string with its id. */
export interface GeneratedToken {
  readonly id: string;
  readonly token: string;
  readonly secretStart: number;
}

/** Generates a token: `<prefix>_<id><secret><checksum>`. */
export function generateToken(prefix: string): GeneratedToken {
  const id = randomBase62(TOKEN_ID_LENGTH);
  const payload = id + randomBase62(TOKEN_SECRET_LENGTH);
  const checksum = encodeBase62Fixed(crc32Ascii(payload), TOKEN_CHECKSUM_LENGTH);
  return {
    id,
    token: `${prefix}_${payload}${checksum}`,
    secretStart: prefix.length + 1 + TOKEN_ID_LENGTH,
  };
}

/**
 * Parses a token string without any lookup: right prefix, right length, base-62 only, and a
 * checksum that matches. Anything else is `null`. Cheap and allocation-light: it is the first
 * step of every verification.
 */
export function parseToken(text: unknown, prefix: string): ParsedToken | null {
  const id = parseTokenId(text, prefix);
  return id === null ? null : { id, secretStart: prefix.length + 1 + TOKEN_ID_LENGTH };
}

/**
 * The public id of a well-formed token string (as {@link parseToken} checks it), or `null`. The
 * verify path uses this form: it allocates only the id, and the secret always starts
 * `prefix.length + 1 + TOKEN_ID_LENGTH` characters in.
 */
export function parseTokenId(text: unknown, prefix: string): string | null {
  if (typeof text !== "string") return null;
  const bodyStart = prefix.length + 1;
  if (text.length !== bodyStart + TOKEN_BODY_LENGTH) return null;
  if (!text.startsWith(prefix) || text.charCodeAt(prefix.length) !== 95 /* _ */) return null;
  if (!hasValidChecksumAt(text, bodyStart)) return null;
  return text.slice(bodyStart, bodyStart + TOKEN_ID_LENGTH);
}

/**
 * True when `body` (a token without its `<prefix>_`) ends in the base-62 CRC-32 of what precedes
 * it: how a secret scanner confirms a match offline.
 */
export function hasValidChecksum(body: string): boolean {
  return body.length === TOKEN_BODY_LENGTH && hasValidChecksumAt(body, 0);
}

// One pass over the id and secret (base-62 check fused with the CRC), then the checksum digits.
function hasValidChecksumAt(text: string, bodyStart: number): boolean {
  const checksumStart = bodyStart + TOKEN_ID_LENGTH + TOKEN_SECRET_LENGTH;
  let crc = CRC32_START;
  for (let i = bodyStart; i < checksumStart; i++) {
    const code = text.charCodeAt(i);
    if (base62Digit(code) < 0) return false;
    crc = crc32Step(crc, code);
  }
  let checksum = 0;
  for (let i = checksumStart; i < checksumStart + TOKEN_CHECKSUM_LENGTH; i++) {
    const digit = base62Digit(text.charCodeAt(i));
    if (digit < 0) return false;
    checksum = checksum * 62 + digit;
  }
  return checksum === crc32Finish(crc);
}
