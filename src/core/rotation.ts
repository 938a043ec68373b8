import { ConflictError, NotFoundError, PolicyViolationError } from "./errors.js";
import { createdToken, type ManagementContext, parseActor } from "./management.js";
import { DAY_MS, expiryViolation } from "./policy.js";
import { parseInput, rotateInputSchema, tokenIdSchema } from "./schemas.js";
import type { TokenRecord } from "./store.js";
import { callStore } from "./store-calls.js";
import { generateToken, TOKEN_SECRET_LENGTH } from "./token-format.js";
import type { Actor, Policy, TokenView } from "./types.js";
import { toView } from "./view.js";

/** The input of `rotate`. */
export interface RotateTokenInput {
  /**
   * The new token's expiry in days from now (`null`: none). Omitted: the old token's lifetime
   * (`expiresAt - createdAt`) from now, or none if it had none. Within the policy in force.
   */
  readonly expiryDays?: number | null;
  /**
   * How long the old secret keeps working, in whole seconds: 0 (the default) to 604 800 (a
   * week), and never beyond the old token's own expiry.
   */
  readonly graceSeconds?: number;
}

/**
 * What `rotate` returns: the new token, its secret (shown this once, non-enumerable like
 * `create`'s) and the old token as it now stands (`replacedBy` set, `revokedAt` at the end of
 * its grace period).
 */
export interface RotatedToken {
  readonly token: TokenView;
  readonly secret: string;
  readonly previous: TokenView;
}

/** What rotation needs from `createAccessTokens`: what management does, and the policy. */
export interface RotationContext extends ManagementContext {
  readonly getPolicy: () => Promise<Policy>;
}

/**
 * Rotation: a new token in place of an old one, which keeps working for a grace period. The
 * store does both in one atomic step, so a crash never leaves two tokens without a scheduled
 * end, nor none.
 */
export function createRotation(context: RotationContext) {
  const { store, clock, hasher, prefix, hooks, rules, lookup } = context;

  async function rotate(id: string, input: RotateTokenInput, actor: Actor): Promise<RotatedToken> {
    if ((actor as Actor | null)?.via === "token") rules.requireSignedInOtherwise(actor);
    const who = parseActor(actor);
    const tokenId = parseInput(tokenIdSchema, id, ["id"]);
    const data = parseInput(rotateInputSchema, input ?? {});
    const old = await callStore("findById", () => store.findById(tokenId));
    if (old === null) throw new NotFoundError("No token has this id");
    // Whoever may create this token, and nobody else: an admin must not obtain a user's secret.
    await rules.assertMayCreate(old.owner, who);
    if (old.replacedBy !== null || old.revokedAt !== null) {
      throw new ConflictError("A rotated or revoked token cannot be rotated");
    }

    const now = clock.now();
    const lifetimeMs = newLifetime(old, data.expiryDays);
    const policy = await context.getPolicy();
    const violation = expiryViolation(policy, lifetimeMs === null ? null : lifetimeMs / DAY_MS);
    if (violation) throw new PolicyViolationError(violation);

    const generated = generateToken(prefix);
    const record: TokenRecord = {
      id: generated.id,
      name: old.name,
      owner: old.owner,
      permissions: old.permissions,
      secretHash: hasher.hash(
        generated.token,
        generated.secretStart,
        generated.secretStart + TOKEN_SECRET_LENGTH,
      ),
      createdAt: now,
      createdBy: who.userId,
      expiresAt: lifetimeMs === null ? null : new Date(now.getTime() + lifetimeMs),
      lastAuthenticatedAt: null,
      revokedAt: null,
      revokedReason: null,
      replaces: old.id,
      replacedBy: null,
      lastUsedIps: [],
      version: 1,
    };
    const revokeAt = graceEnd(old, now, data.graceSeconds ?? 0);
    const previous = await callStore("rotate", () =>
      store.rotate({ id: old.id, expectedVersion: old.version, revokeAt, record }),
    );
    lookup.changed(old.id);
    if (previous === null) throw new NotFoundError("No token has this id");
    const token = toView(record, now);
    const previousView = toView(previous, now);
    hooks.emit({ type: "token.rotated", at: now, actor: who, token, previous: previousView });
    return createdToken({ token, previous: previousView }, generated.token);
  }

  return { rotate };
}

/** The new token's lifetime in ms (`null`: no expiry). */
function newLifetime(old: TokenRecord, expiryDays: number | null | undefined): number | null {
  if (expiryDays !== undefined) return expiryDays === null ? null : expiryDays * DAY_MS;
  if (old.expiresAt === null) return null;
  return old.expiresAt.getTime() - old.createdAt.getTime();
}

/** `now + graceSeconds`, but never beyond the old token's expiry, nor before now. */
function graceEnd(old: TokenRecord, now: Date, graceSeconds: number): Date {
  let end = now.getTime() + graceSeconds * 1000;
  if (old.expiresAt !== null) end = Math.min(end, old.expiresAt.getTime());
  return new Date(Math.max(end, now.getTime()));
}
