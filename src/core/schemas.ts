import { z } from "zod";
import { ValidationError } from "./errors.js";
import { PERMISSIONS } from "./permissions.js";

// Zod runs at the management boundary only; the verify path checks its few inputs by hand.

/** The longest expiry patkit accepts, whatever the policy: 100 years. */
export const MAX_EXPIRY_DAYS = 36_500;
/** The largest page a listing returns. */
export const MAX_PAGE_SIZE = 1000;
/** The page size when none is given. */
export const DEFAULT_PAGE_SIZE = 25;

// Text PostgreSQL cannot store as given: NUL fails the statement (a bad input would look like
// an outage), and a lone surrogate becomes U+FFFD, silently merging ids that differ only there.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storable = (text: string) => !UNSTORABLE.test(text);
const NOT_STORABLE = "Must be well-formed Unicode without NUL characters";

const hostId = z.string().min(1, "Must not be empty").max(255).refine(storable, NOT_STORABLE);

// Control characters, bidi overrides and line separators in a name end up in logs and UIs,
// where they can spoof what surrounds them; refuse them.
const CONTROL_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const tokenName = z
  .string()
  .trim()
  .min(1, "Must not be empty")
  .max(255)
  .refine((name) => !CONTROL_CHARACTERS.test(name), "Must not contain control characters")
  .refine(storable, NOT_STORABLE);

const expiryDays = z.number().int().min(1).max(MAX_EXPIRY_DAYS);

const permissionList = z
  .array(z.enum(PERMISSIONS as [string, ...string[]]))
  .min(1)
  .max(2);

export const ownerSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("user"), userId: hostId }),
  z.strictObject({ kind: z.literal("project"), projectId: hostId }),
  z.strictObject({ kind: z.literal("repository"), projectId: hostId, repositoryId: hostId }),
]);

export const actorSchema = z.object({
  userId: hostId,
  via: z.enum(["session", "token"]).optional(),
});

export const createInputSchema = z.strictObject({
  owner: ownerSchema,
  name: tokenName,
  permissions: permissionList,
  expiryDays: expiryDays.nullish(),
});

export const updateInputSchema = z.strictObject({
  name: tokenName.optional(),
  permissions: permissionList.optional(),
  expiryDays: expiryDays.nullish(),
  expiresAt: z.date().optional(),
});

export const listInputSchema = z.strictObject({
  owner: ownerSchema.optional(),
  cursor: z.string().max(64).nullish(),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
});

export const policyInputSchema = z.strictObject({
  expiryRequired: z.boolean(),
  maxExpiryDays: expiryDays.nullish(),
  maxTokensPerOwner: z.number().int().min(1).max(1_000_000).nullish(),
  revokeUnusedAfterDays: z.number().int().min(1).max(MAX_EXPIRY_DAYS).nullish(),
});

export const maintenanceInputSchema = z.strictObject({
  purgeAfterDays: z.number().int().min(0).max(MAX_EXPIRY_DAYS).optional(),
});

export const userIdSchema = hostId;

export const eraseInputSchema = z.strictObject({ pseudonym: hostId });

export const purgeInputSchema = z.strictObject({
  before: z.date().optional(),
});

export const tokenIdSchema = z.string().min(1).max(64).refine(storable, NOT_STORABLE);

/**
 * Parses `value` with `schema`, or throws a `ValidationError` whose issue paths start at
 * `path` (e.g. `["actor"]`). Input values never reach the message.
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  path: readonly (string | number)[] = [],
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [...path, ...issue.path.map((key) => (typeof key === "symbol" ? String(key) : key))],
      message: issue.message,
    })),
  );
}
