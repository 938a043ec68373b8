import type { TokenRecord } from "../store/index.js";

/** The instant the conformance suite counts from: odd milliseconds, so truncation shows. */
export const TEST_EPOCH = Date.parse("2025-03-04T05:06:07.089Z");

/** `TEST_EPOCH` plus `ms` milliseconds, as a fresh `Date`. */
export function testInstant(ms = 0): Date {
  return new Date(TEST_EPOCH + ms);
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random id shaped like patkit's (16 base62 characters). */
export function randomTokenId(): string {
  const bytes = randomBytes(16);
  let id = "";
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/** `length` bytes from the platform CSPRNG (a stand-in secret hash is 32 of them). */
export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * A valid {@link TokenRecord} for store tests: a personal token of user `alice` with
 * `REPO_READ`, a random id and hash, created at {@link TEST_EPOCH}, version 1. Every call
 * returns new objects; `overrides` replace whole fields.
 */
export function createTestRecord(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: randomTokenId(),
    name: "test token",
    owner: { kind: "user", userId: "alice" },
    permissions: ["REPO_READ"],
    secretHash: randomBytes(32),
    createdAt: testInstant(),
    createdBy: "alice",
    expiresAt: null,
    lastAuthenticatedAt: null,
    revokedAt: null,
    revokedReason: null,
    replaces: null,
    replacedBy: null,
    lastUsedIps: [],
    version: 1,
    ...overrides,
  };
}

/**
 * A record as plain, comparable data: dates as ISO strings and the hash as hex, so two
 * records compare equal whatever `Uint8Array` subclass (e.g. Node's `Buffer`) a driver returns.
 */
export function comparableRecord(record: TokenRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    owner: { ...record.owner },
    permissions: [...record.permissions],
    secretHash: toHex(record.secretHash),
    createdAt: isoOrNull(record.createdAt),
    createdBy: record.createdBy,
    expiresAt: isoOrNull(record.expiresAt),
    lastAuthenticatedAt: isoOrNull(record.lastAuthenticatedAt),
    revokedAt: isoOrNull(record.revokedAt),
    revokedReason: record.revokedReason,
    replaces: record.replaces,
    replacedBy: record.replacedBy,
    lastUsedIps: [...record.lastUsedIps],
    version: record.version,
  };
}

function isoOrNull(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
