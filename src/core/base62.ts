import { randomBytes } from "@noble/hashes/utils";

/** The 62 URL-safe characters tokens are made of: digits, then upper, then lower case. */
export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Digit values by character code below 128; -1 for anything that is not a base-62 character.
const DIGITS = (() => {
  const digits = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62_ALPHABET.length; i++) digits[BASE62_ALPHABET.charCodeAt(i)] = i;
  return digits;
})();

/** The base-62 digit of a character code, or -1 when it is not one. */
export function base62Digit(code: number): number {
  return code < 128 ? (DIGITS[code] as number) : -1;
}

/**
 * `length` characters drawn uniformly from the base-62 alphabet with the platform CSPRNG.
 * Bytes of 248 and above are rejected so that `byte % 62` carries no bias.
 */
export function randomBase62(length: number): string {
  const out: string[] = [];
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte < 248) out.push(BASE62_ALPHABET[byte % 62] as string);
      if (out.length === length) break;
    }
  }
  // Joined at once: appending a character at a time builds a chain of V8 cons strings, and a
  // store that keeps the id would keep the chain (about 130 bytes more per token).
  return out.join("");
}

/** `value` (an unsigned 32-bit integer) in base 62, left-padded with "0" to `width` characters. */
export function encodeBase62Fixed(value: number, width: number): string {
  let out = "";
  let rest = value >>> 0;
  for (let i = 0; i < width; i++) {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}
