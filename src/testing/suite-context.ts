import { expect } from "vitest";
import type { Awaitable, TokenStore } from "../index.js";
import type { TokenRecord } from "../store/index.js";
import { comparableRecord } from "./records.js";

/** What each group of conformance tests reads: the current test's store and the options. */
export interface SuiteContext {
  readonly store: TokenStore;
  readonly concurrentInserts: number;
  readonly concurrentLimit: number;
  readonly watchTimeoutMs: number;
}

/** Runs `operation` and returns what it threw or rejected with; fails when it succeeded. */
export async function failureOf(operation: () => Awaitable<unknown>): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  expect.fail("Expected the store to refuse this, but it succeeded");
}

/** Asserts that `actual` holds the same data as `expected` (any Uint8Array subclass, real Dates). */
export function expectSameRecord(actual: TokenRecord | null, expected: TokenRecord): void {
  expect(actual, "the record").not.toBeNull();
  const record = actual as TokenRecord;
  expect(record.secretHash, "secretHash").toBeInstanceOf(Uint8Array);
  for (const field of ["createdAt", "expiresAt", "lastAuthenticatedAt", "revokedAt"] as const) {
    if (record[field] !== null) expect(record[field], field).toBeInstanceOf(Date);
  }
  expect(comparableRecord(record)).toEqual(comparableRecord(expected));
}

/** The same record with some fields replaced (for building expected values). */
export function withChanges(record: TokenRecord, changes: Partial<TokenRecord>): TokenRecord {
  return { ...record, ...changes };
}

/** Drops `readonly`, so tests can try to mutate what a store handed out. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
