import * as z from "zod/mini";
import { parseInput } from "./schemas.js";
import { REQUIRED_STORE_METHODS } from "./store.js";
import { isValidPrefix } from "./token-format.js";

// The options of createAccessTokens, checked once when the service is built. Unknown keys are
// refused: a misspelled `peper` would otherwise hash without a pepper, and every token of an
// instance with the right pepper would read `unknown`. New options must be added here.

const fn = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === "function",
  "Must be a function",
);

const isPepper = (value: unknown) =>
  (typeof value === "string" || value instanceof Uint8Array) && value.length > 0;

// One pepper, or a list: the current pepper first, then earlier ones (`null`: no pepper).
const pepper = z.unknown().check(
  z.superRefine((value, context) => {
    const list: unknown[] = Array.isArray(value) ? value : [value];
    if (list.length === 0)
      context.issues.push({ code: "custom", message: "Give at least one pepper", input: value });
    list.forEach((entry, index) => {
      if (isPepper(entry) || (index > 0 && entry === null)) return;
      context.issues.push({
        code: "custom",
        path: Array.isArray(value) ? [index] : [],
        message: `Must be a non-empty string or Uint8Array${index > 0 ? ", or null for none" : ""}`,
        input: entry,
      });
    });
  }),
);

const positive = z.number().check(
  z.gt(0),
  z.refine((n) => Number.isFinite(n), "Must be finite"),
);

const tokenBucket = z.strictObject({
  capacity: z.int().check(z.gte(1)),
  refillPerSecond: positive,
});

// A shared limiter (rate-limiter-flexible's `consume`), or a bucket per token in memory. Picked
// by hand rather than with z.union, which would add about 1 KB to every bundle.
const rateLimit = z.unknown().check(
  z.superRefine((value, context) => {
    if (typeof (value as { consume?: unknown } | null)?.consume === "function") return;
    const result = tokenBucket.safeParse(value, { reportInput: true });
    if (!result.success)
      for (const issue of result.error.issues) context.issues.push(issue as never);
  }),
);

const optionsSchema = z.strictObject({
  store: z.looseObject(Object.fromEntries(REQUIRED_STORE_METHODS.map((name) => [name, fn]))),
  clock: z.optional(z.looseObject({ now: fn })),
  access: z.looseObject({
    hasPermission: fn,
    isSystemAdmin: fn,
    isActiveUser: z.optional(fn),
    usernameOf: z.optional(fn),
    projectOfRepository: z.optional(fn),
  }),
  pepper: z.optional(pepper),
  prefix: z.optional(
    z
      .string()
      .check(
        z.refine(
          isValidPrefix,
          "Must be 1 to 16 lower-case letters and digits, starting with a letter",
        ),
      ),
  ),
  onEvent: z.optional(fn),
  onError: z.optional(fn),
  lastAuthenticatedIntervalMs: z.optional(
    z.number().check(
      z.gte(0),
      z.refine((n) => Number.isFinite(n), "Must be finite"),
    ),
  ),
  cache: z.optional(
    z.strictObject({
      ttlMs: positive,
      maxEntries: z.int().check(z.gte(1)),
      watchRetryDelayMs: z.optional(positive),
      maxWatchRetryDelayMs: z.optional(positive),
    }),
  ),
  // Its thresholds are checked where they are read (expiry-notices.ts); here only the keys.
  expiryNotices: z.optional(z.strictObject({ days: z.unknown() })),
  rateLimit: z.optional(rateLimit),
});

/**
 * Checks the options of `createAccessTokens` and throws a `ValidationError` naming every
 * field at fault (unknown keys included). The options themselves are used as given: stores
 * and hosts may be class instances, which a parsed copy would not be.
 */
export function checkOptions(options: unknown): void {
  parseInput(optionsSchema, options, [], "options");
}
