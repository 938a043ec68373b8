import { inspect } from "node:util";
import { tokenParts } from "./token-strings.js";

/** One form a secret can take in text, with a name for the report. */
export interface Needle {
  readonly name: string;
  readonly text: string;
}

/**
 * Every form in which a token or its stored hash could show up in text: the token, its secret
 * part, and the hash as hex (both cases, and PostgreSQL's `\x` form), base64, base64url and a
 * list of byte values (as `util.inspect` prints a `Uint8Array`).
 */
export function secretNeedles(token: string, hash?: Uint8Array, prefix = "pat"): Needle[] {
  const needles: Needle[] = [
    { name: "token", text: token },
    { name: "secret part", text: tokenParts(token, prefix).secret },
  ];
  if (hash) {
    const bytes = Buffer.from(hash);
    const hex = bytes.toString("hex");
    needles.push(
      { name: "hash hex", text: hex },
      { name: "hash HEX", text: hex.toUpperCase() },
      { name: "hash base64", text: bytes.toString("base64").replace(/=+$/, "") },
      { name: "hash base64url", text: bytes.toString("base64url") },
      { name: "hash bytes", text: [...bytes].join(",") },
    );
  }
  return needles;
}

/**
 * The texts a value turns into when logged or sent: `JSON.stringify`, `util.inspect` (deep),
 * `String()`, and for errors the message and stack of each error in the cause chain (and of
 * the errors inside an `AggregateError`).
 */
export function renderings(value: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (item: unknown) => {
    if (seen.has(item)) return;
    seen.add(item);
    texts.push(inspect(item, { depth: Number.POSITIVE_INFINITY }));
    texts.push(safeJson(item));
    texts.push(safeString(item));
    if (item instanceof Error) {
      texts.push(item.message, item.stack ?? "");
      if (item.cause !== undefined) visit(item.cause);
      if (item instanceof AggregateError) for (const inner of item.errors) visit(inner);
    }
  };
  visit(value);
  return texts;
}

/** The needles found in any rendering of any of `values`; empty when nothing leaked. */
export function findLeaks(needles: readonly Needle[], values: readonly unknown[]): string[] {
  const found: string[] = [];
  values.forEach((value, index) => {
    for (const text of renderings(value)) {
      const compact = text.replace(/\s+/g, "");
      for (const needle of needles) {
        if (text.includes(needle.text) || compact.includes(needle.text)) {
          found.push(`${needle.name} in value #${index}`);
        }
      }
    }
  });
  return [...new Set(found)];
}

function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (typeof item === "bigint") return item.toString();
        if (item instanceof Uint8Array) return [...item];
        if (item instanceof Error) return { ...item, message: item.message, stack: item.stack };
        return item;
      }) ?? ""
    );
  } catch {
    return "";
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}
