import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";

/** A server-side secret mixed into every token hash (HMAC key). Keep it out of the database. */
export type Pepper = string | Uint8Array;

/** Hashes token secrets: HMAC-SHA-256 under the current pepper, or SHA-256 without one. */
export interface SecretHasher {
  /** The hash of the ASCII characters `text[start, end)` under the current pepper. */
  hash(text: string, start: number, end: number): Uint8Array;
  /** The same under each earlier pepper, newest first (empty without rotation). */
  readonly previous: readonly ((text: string, start: number, end: number) => Uint8Array)[];
}

/**
 * Builds the hasher for a pepper option: nothing (SHA-256), one pepper, or a list whose first
 * entry is the current pepper and the rest earlier ones still accepted during a rotation.
 */
export function createSecretHasher(pepper?: Pepper | readonly (Pepper | null)[]): SecretHasher {
  const peppers = pepper === undefined ? [] : Array.isArray(pepper) ? pepper : [pepper as Pepper];
  // `null` among earlier peppers stands for "no pepper": how a deployment moves to one.
  const [current, ...earlier] = peppers.map((entry) =>
    entry === null ? plainSha256 : keyedHashFor(entry),
  );
  return { hash: current ?? plainSha256, previous: earlier };
}

// One reusable input buffer: hashing is synchronous, so no two calls ever share it at once. The
// view of the last length is kept too, so the common case (always 43 characters) allocates nothing.
let inputBuffer = new Uint8Array(64);
let inputView = inputBuffer.subarray(0, 0);

function asciiInput(text: string, start: number, end: number): Uint8Array {
  const length = end - start;
  if (inputView.length !== length) {
    if (inputBuffer.length < length) inputBuffer = new Uint8Array(length);
    inputView = inputBuffer.subarray(0, length);
  }
  for (let i = 0; i < length; i++) inputView[i] = text.charCodeAt(start + i);
  return inputView;
}

type Sha256State = ReturnType<typeof sha256.create>;

/**
 * Hashes from a pristine state into one reused working instance (noble's `_cloneInto`), so a hash
 * allocates its 32-byte result and no hasher object. Synchronous, so calls never overlap.
 */
function hashFrom<T extends Sha256State | ReturnType<typeof hmac.create>>(
  pristine: T,
): (text: string, start: number, end: number) => Uint8Array {
  const work = pristine.clone() as T;
  return (text, start, end) => {
    (pristine._cloneInto as (to: T) => T)(work);
    work.update(asciiInput(text, start, end));
    const out = new Uint8Array(32);
    work.digestInto(out);
    return out;
  };
}

const plainSha256 = hashFrom(sha256.create());

function keyedHashFor(pepper: Pepper): (text: string, start: number, end: number) => Uint8Array {
  // Options are checked before (non-empty); the key is a copy the caller cannot change.
  const key = typeof pepper === "string" ? utf8ToBytes(pepper) : Uint8Array.from(pepper);
  // The keyed inner/outer states are computed once; each hash starts from a copy of them.
  return hashFrom(hmac.create(sha256, key));
}

/** Compares two byte strings in time that depends only on their length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}
