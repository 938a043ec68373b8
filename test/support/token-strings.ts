import { createHash, createHmac } from "node:crypto";
import { crc32 } from "node:zlib";

/** The token alphabet: digits, upper case, lower case. */
export const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Lengths of the parts of a token body, from the documented format. */
export const ID_LENGTH = 16;
export const SECRET_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;

/**
 * Builds a token string from its parts, written from the documented format and node's own
 * CRC-32 rather than patkit's code: `<prefix>_<id><secret><checksum>`, the checksum being the
 * CRC-32 of `<id><secret>` in base 62, six characters, most significant first.
 */
export function formatToken(prefix: string, id: string, secret: string): string {
  let value = crc32(id + secret);
  let checksum = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    checksum = ALPHABET[value % 62] + checksum;
    value = Math.floor(value / 62);
  }
  return `${prefix}_${id}${secret}${checksum}`;
}

/** The parts of a token string of `prefix`. */
export function tokenParts(token: string, prefix = "pat") {
  const body = token.slice(prefix.length + 1);
  return {
    id: body.slice(0, ID_LENGTH),
    secret: body.slice(ID_LENGTH, ID_LENGTH + SECRET_LENGTH),
    checksum: body.slice(ID_LENGTH + SECRET_LENGTH),
  };
}

/** The same token id with another secret and a valid checksum: passes every offline check. */
export function withOtherSecret(token: string, secret: string, prefix = "pat"): string {
  return formatToken(prefix, tokenParts(token, prefix).id, secret);
}

/** True when `text` is a well-formed `prefix` token by the documented format. */
export function isWellFormedToken(text: string, prefix = "pat"): boolean {
  if (!new RegExp(`^${prefix}_[0-9A-Za-z]{65}$`).test(text)) return false;
  const { id, secret } = tokenParts(text, prefix);
  return formatToken(prefix, id, secret) === text;
}

/** The stored hash of a token's secret, computed independently: HMAC-SHA-256 or SHA-256. */
export function expectedHash(token: string, pepper?: string, prefix = "pat"): Buffer {
  const { secret } = tokenParts(token, prefix);
  return pepper === undefined
    ? createHash("sha256").update(secret, "ascii").digest()
    : createHmac("sha256", pepper).update(secret, "ascii").digest();
}

/**
 * The same token with its last checksum character changed, so it can never equal the token
 * (replacing it with a fixed character would, once in 62 tokens, change nothing).
 */
export function withBadChecksum(token: string): string {
  return token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
}
