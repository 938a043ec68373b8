import { addMilliseconds } from "date-fns/addMilliseconds";
import { differenceInMilliseconds } from "date-fns/differenceInMilliseconds";
import type { TokenRules } from "./authorization.js";
import type { Clock } from "./clock.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import {
  ConflictError,
  ExpiryImmutableError,
  NotFoundError,
  PolicyViolationError,
  ValidationError,
} from "./errors.js";
import type { HookRunner } from "./events.js";
import type { SecretHasher } from "./hashing.js";
import { canonicalPermissions, permissionProblems } from "./permissions.js";
import { DAY_MS, DEFAULT_POLICY, expiryViolation, isCompliant, normalizePolicy } from "./policy.js";
import type { RecordLookup } from "./record-lookup.js";
import {
  actorSchema,
  createInputSchema,
  DEFAULT_PAGE_SIZE,
  listInputSchema,
  MAX_EXPIRY_DAYS,
  parseInput,
  policyInputSchema,
  purgeInputSchema,
  tokenIdSchema,
  updateInputSchema,
} from "./schemas.js";
import {
  isExpiredAt,
  isRevokedAt,
  type TokenPatch,
  type TokenRecord,
  type TokenStore,
} from "./store.js";
import { callStore } from "./store-calls.js";
import { generateToken, TOKEN_SECRET_LENGTH } from "./token-format.js";
import type { Actor, Owner, OwnerKind, Permission, Policy, TokenView } from "./types.js";
import { toView } from "./view.js";

/** What `create` returns. `secret` is shown this once and is non-enumerable, so logging or
 * serializing the result does not leak it; read it as `result.secret` or by destructuring. */
export interface CreatedToken {
  readonly token: TokenView;
  readonly secret: string;
}

/** The input of `create`. */
export interface CreateTokenInput {
  readonly owner: Owner;
  readonly name: string;
  readonly permissions: readonly Permission[];
  /** Days until expiry, counted as exact 24-hour days from creation; omit (or `null`) for none. */
  readonly expiryDays?: number | null;
  /** An exact expiry instant instead of `expiryDays` (as `update` takes it); within the policy. */
  readonly expiresAt?: Date;
}

/** The input of `update`: a new name, new permissions, and an expiry for a token that has none. */
export interface UpdateTokenInput {
  readonly name?: string;
  readonly permissions?: readonly Permission[];
  /** Sets an expiry this many days from now, only on a token without one. */
  readonly expiryDays?: number | null;
  /** Sets this expiry, only on a token without one. */
  readonly expiresAt?: Date;
}

/** The input of `list`: one owner's tokens (or all, for system admins), a page at a time. */
export interface ListTokensInput {
  readonly owner?: Owner;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | null;
  /** Page size, 1 to 1000; default 25. */
  readonly limit?: number;
  /**
   * Skips this many tokens (after the cursor's position, if any) before the page starts:
   * offset paging, as Bitbucket's `start`. 0 to 2147483647; default 0.
   */
  readonly offset?: number;
  /** `false` leaves revoked tokens out (they are listed by default, until purged). */
  readonly includeRevoked?: boolean;
}

/** One page of tokens; `nextCursor` is `null` on the last page. */
export interface TokenPage {
  readonly items: TokenView[];
  readonly nextCursor: string | null;
}

/** The input of `setPolicy`. */
export interface PolicyInput {
  readonly expiryRequired: boolean;
  readonly maxExpiryDays?: number | null;
  readonly maxTokensPerOwner?: number | null;
  /** Revoke live tokens unused for this many whole days (1 or more); `null` or absent to keep them. */
  readonly revokeUnusedAfterDays?: number | null;
}

/** What management calls need from `createAccessTokens`. */
export interface ManagementContext {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly hasher: SecretHasher;
  readonly prefix: string;
  readonly hooks: HookRunner;
  readonly rules: TokenRules;
  /** Told of every change this instance makes, so its verification cache drops the entry at once. */
  readonly lookup: RecordLookup;
}

/** Token management: create, read, edit, revoke, the policy and purging. */
export function createManagement(context: ManagementContext) {
  const { store, clock, hasher, prefix, hooks, rules, lookup } = context;

  async function create(input: CreateTokenInput, actor: Actor): Promise<CreatedToken> {
    const who = managingActor(actor);
    const data = parseInput(createInputSchema, input);
    const owner = data.owner as Owner;
    const permissions = validPermissions(data.permissions as Permission[], owner.kind, [
      "permissions",
    ]);
    assertOneExpiry(data);
    await rules.assertMayCreate(owner, who);
    const policy = await getPolicy();
    const now = clock.now();
    const expiresAt = newExpiry(data.expiryDays ?? null, data.expiresAt, now);
    const violation = expiryViolation(
      policy,
      expiresAt === null ? null : differenceInMilliseconds(expiresAt, now) / DAY_MS,
    );
    if (violation) throw new PolicyViolationError(violation);

    const generated = generateToken(prefix);
    const record: TokenRecord = {
      id: generated.id,
      name: data.name,
      owner,
      permissions,
      secretHash: hasher.hash(
        generated.token,
        generated.secretStart,
        generated.secretStart + TOKEN_SECRET_LENGTH,
      ),
      createdAt: now,
      createdBy: who.userId,
      expiresAt,
      lastAuthenticatedAt: null,
      revokedAt: null,
      revokedReason: null,
      replaces: null,
      replacedBy: null,
      lastUsedIps: [],
      version: 1,
    };
    await callStore("insert", () =>
      store.insert(record, { maxTokensPerOwner: policy.maxTokensPerOwner ?? null, now }),
    );
    const token = toView(record, now);
    hooks.emit({ type: "token.created", at: now, actor: who, token });
    return createdToken({ token }, generated.token);
  }

  async function get(id: string, actor: Actor): Promise<TokenView> {
    const who = parseActor(actor);
    const record = await findExisting(id);
    await rules.assertMayManage(record.owner, who, "see");
    return toView(record, clock.now());
  }

  async function list(input: ListTokensInput, actor: Actor): Promise<TokenPage> {
    const { owner, after, limit, offset, includeRevoked } = await listingRequest(input, actor);
    const now = clock.now();
    // Revoked means revoked now: a rotated token in its grace period still works, so it stays.
    const notRevokedAt = includeRevoked ? undefined : now;
    const records = await callStore("list", () =>
      store.list({ owner, after, offset, notRevokedAt, limit: limit + 1 }),
    );
    return pageOf(records, limit, now);
  }

  async function listNonCompliant(input: ListTokensInput, actor: Actor): Promise<TokenPage> {
    const { owner, after, limit, offset } = await listingRequest(input, actor);
    const policy = await getPolicy();
    const now = clock.now();
    const found: TokenRecord[] = [];
    let skipped = 0;
    let position = after;
    // Scans in listing order, keeping working tokens that a new token's rules would refuse
    // (a rotated token in its grace period works: it is listed until the grace ends).
    while (found.length <= limit) {
      const batch = await callStore("list", () =>
        store.list({ owner, after: position, notRevokedAt: now, limit: SCAN_BATCH }),
      );
      for (const record of batch) {
        if (isExpiredAt(record, now) || isCompliant(record, policy)) continue;
        if (skipped < offset) skipped++;
        else found.push(record);
        if (found.length > limit) break;
      }
      if (batch.length < SCAN_BATCH) break;
      position = batch[batch.length - 1];
    }
    return pageOf(found, limit, now);
  }

  async function listingRequest(input: ListTokensInput, actor: Actor) {
    const who = parseActor(actor);
    const data = parseInput(listInputSchema, input ?? {});
    const after = data.cursor ? decodeCursor(data.cursor) : undefined;
    const owner = data.owner as Owner | undefined;
    if (owner) await rules.assertMayManage(owner, who, "list the tokens of");
    else await rules.assertSystemAdmin(who, "list every token");
    return {
      owner,
      after,
      limit: data.limit ?? DEFAULT_PAGE_SIZE,
      offset: data.offset ?? 0,
      includeRevoked: data.includeRevoked ?? true,
    };
  }

  async function update(id: string, input: UpdateTokenInput, actor: Actor): Promise<TokenView> {
    const who = managingActor(actor);
    const data = parseInput(updateInputSchema, input);
    const setsExpiry = data.expiryDays !== undefined || data.expiresAt !== undefined;
    if (data.name === undefined && data.permissions === undefined && !setsExpiry) {
      throw new ValidationError([
        {
          path: ["input"],
          message: "Give at least one of name, permissions, expiryDays, expiresAt",
        },
      ]);
    }
    assertOneExpiry(data);
    const record = await findExisting(id);
    await rules.assertMayManage(record.owner, who, "edit");
    if (record.revokedAt !== null)
      throw new ConflictError("A revoked or rotated token cannot be edited");

    const now = clock.now();
    const changes: ("name" | "permissions" | "expiresAt")[] = [];
    const patch: { -readonly [K in keyof TokenPatch]: TokenPatch[K] } = {};
    if (setsExpiry) {
      if (record.expiresAt !== null) throw new ExpiryImmutableError();
      const expiresAt = newExpiry(data.expiryDays ?? null, data.expiresAt, now);
      if (expiresAt !== null) {
        await assertExpiryWithinPolicy(expiresAt, now);
        patch.expiresAt = expiresAt;
        changes.push("expiresAt");
      }
    }
    if (data.name !== undefined && data.name !== record.name) {
      patch.name = data.name;
      changes.push("name");
    }
    if (data.permissions !== undefined) {
      const permissions = validPermissions(data.permissions as Permission[], record.owner.kind, [
        "permissions",
      ]);
      if (permissions.join() !== record.permissions.join()) {
        patch.permissions = permissions;
        changes.push("permissions");
      }
    }
    if (changes.length === 0) {
      // A retry of an edit whose answer was lost ends here: the record already holds the change,
      // but this instance's cache may still hold the record from before it.
      lookup.changed(record.id);
      return toView(record, now);
    }

    let updated: TokenRecord | null;
    try {
      updated = await callStore("updateIfVersion", () =>
        store.updateIfVersion(record.id, record.version, patch),
      );
    } finally {
      // Also on failure: the write may have committed with only its answer lost.
      lookup.changed(record.id);
    }
    if (updated === null) {
      await findExisting(id);
      throw new ConflictError("The token changed since it was read; read it again and retry");
    }
    const token = toView(updated, now);
    hooks.emit({ type: "token.updated", at: now, actor: who, token, changes });
    return token;
  }

  async function revoke(id: string, actor: Actor): Promise<TokenView> {
    const who = managingActor(actor);
    const record = await findExisting(id);
    await rules.assertMayManage(record.owner, who, "revoke");
    const now = clock.now();
    // A rotated token in its grace period is revoked now: the grace ends, with this reason.
    if (isRevokedAt(record, now)) {
      // A retry of a revoke whose answer was lost ends here: the cache may not know yet.
      lookup.changed(record.id);
      return toView(record, now);
    }
    let revoked: TokenRecord | null;
    try {
      revoked = await callStore("revoke", () => store.revoke(record.id, now, "manual"));
    } finally {
      // Also on failure: the revoke may have committed with only its answer lost.
      lookup.changed(record.id);
    }
    if (revoked === null) throw new NotFoundError("No token has this id");
    const token = toView(revoked, now);
    hooks.emit({ type: "token.revoked", at: now, actor: who, token, reason: "manual" });
    return token;
  }

  async function getPolicy(): Promise<Policy> {
    const stored = await callStore("getPolicy", () => store.getPolicy());
    return normalizePolicy({ ...DEFAULT_POLICY, ...stored });
  }

  async function setPolicy(input: PolicyInput, actor: Actor): Promise<Policy> {
    const who = managingActor(actor);
    const data = parseInput(policyInputSchema, input);
    await rules.assertSystemAdmin(who, "change the token policy");
    const policy: Policy = {
      expiryRequired: data.expiryRequired,
      maxExpiryDays: data.maxExpiryDays ?? null,
      maxTokensPerOwner: data.maxTokensPerOwner ?? null,
      revokeUnusedAfterDays: data.revokeUnusedAfterDays ?? null,
    };
    const previous = await getPolicy();
    await callStore("putPolicy", () => store.putPolicy(policy));
    hooks.emit({
      type: "policy.updated",
      at: clock.now(),
      actor: who,
      policy: normalizePolicy(policy),
      previous,
    });
    return normalizePolicy(policy);
  }

  async function purge(input: { before?: Date }, actor: Actor): Promise<{ deleted: number }> {
    const who = managingActor(actor);
    const data = parseInput(purgeInputSchema, input ?? {});
    await rules.assertSystemAdmin(who, "purge tokens");
    const before = data.before ?? clock.now();
    let deleted: number;
    try {
      deleted = await callStore("purge", () => store.purge(before));
    } finally {
      // Also on failure: the purge may have committed with only its answer lost.
      lookup.changedAll();
    }
    return { deleted };
  }

  async function findExisting(id: string): Promise<TokenRecord> {
    const tokenId = parseInput(tokenIdSchema, id, ["id"]);
    const record = await callStore("findById", () => store.findById(tokenId));
    if (record === null) throw new NotFoundError("No token has this id");
    return record;
  }

  function newExpiry(
    expiryDays: number | null,
    expiresAt: Date | undefined,
    now: Date,
  ): Date | null {
    if (expiresAt !== undefined) {
      const lifetime = expiresAt.getTime() - now.getTime();
      if (!(lifetime > 0 && lifetime <= MAX_EXPIRY_DAYS * DAY_MS)) {
        throw new ValidationError([
          {
            path: ["expiresAt"],
            message: `Must be a valid Date in the future, at most ${MAX_EXPIRY_DAYS} days away`,
          },
        ]);
      }
      return new Date(expiresAt.getTime());
    }
    return expiryDays === null ? null : addMilliseconds(now, expiryDays * DAY_MS);
  }

  async function assertExpiryWithinPolicy(expiresAt: Date, now: Date): Promise<void> {
    const { maxExpiryDays } = await getPolicy();
    if (
      maxExpiryDays !== null &&
      differenceInMilliseconds(expiresAt, now) > maxExpiryDays * DAY_MS
    ) {
      throw new PolicyViolationError(
        `The token policy allows at most ${maxExpiryDays} days of expiry`,
      );
    }
  }

  function managingActor(actor: Actor): Actor {
    if ((actor as Actor | null)?.via === "token") rules.requireSignedInOtherwise(actor);
    return parseActor(actor);
  }

  return { create, get, list, listNonCompliant, update, revoke, getPolicy, setPolicy, purge };
}

/** `expiryDays` and `expiresAt` say the same thing two ways: one at a time. */
function assertOneExpiry(data: { expiryDays?: number | null; expiresAt?: Date }): void {
  if (data.expiryDays != null && data.expiresAt !== undefined) {
    throw new ValidationError([
      { path: ["expiresAt"], message: "Give expiryDays or expiresAt, not both" },
    ]);
  }
}

/** How many records a scan reads per store call. */
const SCAN_BATCH = 200;

/** A page of at most `limit` views from `records` (fetched with one extra to tell if more follow). */
function pageOf(records: readonly TokenRecord[], limit: number, now: Date): TokenPage {
  const page = records.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((record) => toView(record, now)),
    nextCursor: records.length > limit && last ? encodeCursor(last) : null,
  };
}

/** The actor as validated input (only its known fields). */
export function parseActor(actor: Actor): Actor {
  const data = parseInput(actorSchema, actor, ["actor"]);
  return data.via === undefined ? { userId: data.userId } : { userId: data.userId, via: data.via };
}

function validPermissions(
  permissions: readonly Permission[],
  kind: OwnerKind,
  path: readonly (string | number)[],
): Permission[] {
  const problems = permissionProblems(permissions, kind);
  if (problems.length > 0)
    throw new ValidationError(problems.map((message) => ({ path: [...path], message })));
  return canonicalPermissions(permissions);
}

/** A result carrying a secret that logging or serializing does not show (non-enumerable). */
export function createdToken<T extends { token: TokenView }>(
  fields: T,
  secret: string,
): T & { readonly secret: string } {
  const result = { ...fields } as T & { secret: string };
  Object.defineProperty(result, "secret", { value: secret, enumerable: false });
  return result;
}
