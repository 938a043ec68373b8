import * as z from "zod/mini";
import { ValidationError } from "./errors.js";
import { PERMISSIONS } from "./permissions.js";
import type { Owner } from "./types.js";
import { describeIssue, type SchemaIssue } from "./validation-messages.js";

// Zod runs at the management boundary only; the verify path checks its few inputs by hand.
// zod/mini keeps the schemas tree-shakable (the classic API would pull all of zod into bundles).

/** The longest expiry patkit accepts, whatever the policy: 100 years. */
export const MAX_EXPIRY_DAYS = 36_500;
/** The largest page a listing returns. */
export const MAX_PAGE_SIZE = 1000;
/** The page size when none is given. */
export const DEFAULT_PAGE_SIZE = 25;
/** The largest `offset` a listing takes (PostgreSQL's largest integer). */
export const MAX_LIST_OFFSET = 2_147_483_647;

// Text PostgreSQL cannot store as given: NUL fails the statement (a bad input would look like
// an outage), and a lone surrogate becomes U+FFFD, silently merging ids that differ only there.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storable = z.refine<string>(
  (text) => !UNSTORABLE.test(text),
  "Must be well-formed Unicode without NUL characters",
);

const hostId = z.string().check(z.minLength(1), z.maxLength(255), storable);

// Control characters, bidi overrides and line separators in a name end up in logs and UIs,
// where they can spoof what surrounds them; refuse them.
const CONTROL_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const tokenName = z.string().check(
  z.trim(),
  z.minLength(1),
  z.maxLength(255),
  z.refine((name) => !CONTROL_CHARACTERS.test(name), "Must not contain control characters"),
  storable,
);

const wholeNumber = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));

const expiryDays = wholeNumber(1, MAX_EXPIRY_DAYS);

const permissionList = z
  .array(z.enum(PERMISSIONS as [string, ...string[]]))
  .check(z.minLength(1), z.maxLength(2));

const kind = z.string();
const OWNER_SHAPES = {
  user: z.strictObject({ kind, userId: hostId }),
  project: z.strictObject({ kind, projectId: hostId }),
  repository: z.strictObject({ kind, projectId: hostId, repositoryId: hostId }),
};

// The kind picks the shape. Checked by hand rather than with z.discriminatedUnion, which
// costs more bundle bytes than all of this (docs/benchmarks.md, bundle size).
export const ownerSchema = z.looseObject({ kind: z.enum(["user", "project", "repository"]) }).check(
  z.superRefine((owner, context) => {
    const result = OWNER_SHAPES[owner.kind].safeParse(owner, { reportInput: true });
    if (!result.success)
      for (const issue of result.error.issues) context.issues.push(issue as never);
  }),
) as unknown as z.ZodMiniType<Owner>; // the refinement guarantees one of the three shapes

export const actorSchema = z.object({
  userId: hostId,
  via: z.optional(z.enum(["session", "token"])),
});

export const createInputSchema = z.strictObject({
  owner: ownerSchema,
  name: tokenName,
  permissions: permissionList,
  expiryDays: z.nullish(expiryDays),
  expiresAt: z.optional(z.date()),
});

export const updateInputSchema = z.strictObject({
  name: z.optional(tokenName),
  permissions: z.optional(permissionList),
  expiryDays: z.nullish(expiryDays),
  expiresAt: z.optional(z.date()),
});

export const listInputSchema = z.strictObject({
  owner: z.optional(ownerSchema),
  cursor: z.nullish(z.string().check(z.maxLength(64))),
  limit: z.optional(wholeNumber(1, MAX_PAGE_SIZE)),
  offset: z.optional(wholeNumber(0, MAX_LIST_OFFSET)),
  includeRevoked: z.optional(z.boolean()),
});

export const policyInputSchema = z.strictObject({
  expiryRequired: z.boolean(),
  maxExpiryDays: z.nullish(expiryDays),
  maxTokensPerOwner: z.nullish(wholeNumber(1, 1_000_000)),
  revokeUnusedAfterDays: z.nullish(wholeNumber(1, MAX_EXPIRY_DAYS)),
});

export const maintenanceInputSchema = z.strictObject({
  purgeAfterDays: z.optional(wholeNumber(0, MAX_EXPIRY_DAYS)),
});

/** The longest grace period of a rotation: a week. */
export const MAX_GRACE_SECONDS = 604_800;

export const rotateInputSchema = z.strictObject({
  expiryDays: z.nullish(expiryDays),
  graceSeconds: z.optional(wholeNumber(0, MAX_GRACE_SECONDS)),
});

/** The most strings one `revokeLeaked` call takes. */
export const MAX_LEAKED_SECRETS = 1000;

const reportText = z.nullish(z.string().check(z.maxLength(2048), storable));

export const leakReportSchema = z.strictObject({ source: reportText, url: reportText });

export const leakedSecretsSchema = z
  .array(z.string())
  .check(z.maxLength(MAX_LEAKED_SECRETS, `Give at most ${MAX_LEAKED_SECRETS} strings per call`));

export const userIdSchema = hostId;

export const eraseInputSchema = z.strictObject({ pseudonym: hostId });

export const purgeInputSchema = z.strictObject({
  before: z.optional(z.date()),
});

export const tokenIdSchema = z.string().check(z.minLength(1), z.maxLength(64), storable);

/**
 * Parses `value` with `schema`, or throws a `ValidationError` whose issues name their field,
 * starting at `path` (e.g. `["actor"]`); a problem with the value as a whole is named `root`.
 * Messages are written for people; input values never reach them.
 */
export function parseInput<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  path: readonly (string | number)[] = [],
  root = "input",
): z.output<T> {
  // reportInput lets a message say "Required" for a missing value; the input itself is dropped.
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.flatMap((issue) => describeIssue(issue as SchemaIssue, path, root)),
  );
}
