import fc from "fast-check";
import { ALPHABET, formatToken, ID_LENGTH, SECRET_LENGTH } from "./token-strings.js";

/** A string of `length` characters of the token alphabet. */
export function base62(length: number): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom(...ALPHABET), { minLength: length, maxLength: length })
    .map((characters) => characters.join(""));
}

/** Well-formed tokens (valid checksum) that nobody issued. */
export function unissuedToken(prefix = "pat"): fc.Arbitrary<string> {
  return fc
    .tuple(base62(ID_LENGTH), base62(SECRET_LENGTH))
    .map(([id, secret]) => formatToken(prefix, id, secret));
}

/** The ways a near-miss differs from a real token by one character. */
export type Mutation = "replace" | "delete" | "insert" | "swap" | "flip-case";

/** `token` changed in one place: one character replaced, deleted, inserted, swapped or re-cased. */
export function nearMiss(tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...tokens),
      fc.nat(),
      fc.oneof(
        fc.constantFrom(...ALPHABET),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
        fc.constantFrom("\0", "_", " ", ":", "\u00e9", "\uff41", "\ud83d\ude00"),
      ),
      fc.constantFrom<Mutation>("replace", "delete", "insert", "swap", "flip-case"),
    )
    .map(([token, position, character, mutation]) => mutate(token, position, character, mutation));
}

/** Applies one {@link Mutation} at `position` (taken modulo the length). */
export function mutate(
  token: string,
  position: number,
  character: string,
  mutation: Mutation,
): string {
  const at = position % token.length;
  const before = token.slice(0, at);
  const after = token.slice(at + 1);
  const current = token[at] as string;
  switch (mutation) {
    case "replace":
      return before + character + after;
    case "delete":
      return before + after;
    case "insert":
      return before + character + token.slice(at);
    case "swap": {
      const next = at + 1 < token.length ? at + 1 : at - 1;
      const [low, high] = next > at ? [at, next] : [next, at];
      return (
        token.slice(0, low) +
        (token[high] as string) +
        (token[low] as string) +
        token.slice(high + 1)
      );
    }
    case "flip-case": {
      const flipped =
        current === current.toLowerCase() ? current.toUpperCase() : current.toLowerCase();
      return before + flipped + after;
    }
  }
}

/** Strings as hostile clients send them: any code points, raw bytes, huge, NUL-laden. */
export function hostileString(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 120 }),
    fc.string({ unit: "grapheme-ascii", minLength: 55, maxLength: 85 }),
    fc.string({ unit: fc.constantFrom(..."pat_:@/ \t\0=+"), maxLength: 80 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString("utf8")),
    fc
      .tuple(
        fc.string({ unit: "binary", minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1_000, max: 200_000 }),
      )
      .map(([unit, times]) => unit.repeat(times)),
  );
}

/** A string with NUL characters around or inside `token`. */
export function withNul(tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...tokens), fc.nat(), fc.constantFrom("prefix", "suffix", "inside"))
    .map(([token, position, where]) => {
      if (where === "prefix") return `\0${token}`;
      if (where === "suffix") return `${token}\0`;
      const at = position % token.length;
      return `${token.slice(0, at)}\0${token.slice(at)}`;
    });
}

/** Anything at all, including objects without a prototype, boxed values, typed arrays. */
export function anyValue(): fc.Arbitrary<unknown> {
  return fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  });
}
