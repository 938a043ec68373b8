import { differenceInMilliseconds } from "date-fns";
import type { Policy, TokenView } from "./types.js";

/** The policy in force until a system admin sets one: no expiry required, no maximum, no limit. */
export const DEFAULT_POLICY: Policy = Object.freeze({
  expiryRequired: false,
  maxExpiryDays: null,
});

/**
 * A policy in the shape patkit returns: `maxTokensPerOwner` and `revokeUnusedAfterDays` only
 * when they are set.
 */
export function normalizePolicy(policy: Policy): Policy {
  const { expiryRequired, maxExpiryDays, maxTokensPerOwner, revokeUnusedAfterDays } = policy;
  return {
    expiryRequired,
    maxExpiryDays,
    ...(maxTokensPerOwner != null && { maxTokensPerOwner }),
    ...(revokeUnusedAfterDays != null && { revokeUnusedAfterDays }),
  };
}

/** Milliseconds in one expiry day: always 24 hours, never a calendar day. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Why an expiry of `expiryDays` (or none, when `null`) breaks `policy`, or `null` when it
 * complies.
 */
export function expiryViolation(policy: Policy, expiryDays: number | null): string | null {
  if (expiryDays === null) {
    return policy.expiryRequired ? "The token policy requires an expiry (expiryDays)" : null;
  }
  if (policy.maxExpiryDays !== null && expiryDays > policy.maxExpiryDays) {
    return `The token policy allows at most ${policy.maxExpiryDays} days of expiry`;
  }
  return null;
}

/**
 * Whether an existing token satisfies `policy` as a new one would: an expiry when one is
 * required, and a lifetime (creation to expiry) within the maximum. Tokens created under an
 * earlier policy keep working; this is how to list the ones that do not comply.
 */
export function isCompliant(
  token: Pick<TokenView, "createdAt" | "expiresAt">,
  policy: Policy,
): boolean {
  if (token.expiresAt === null) return !policy.expiryRequired;
  if (policy.maxExpiryDays === null) return true;
  return (
    differenceInMilliseconds(token.expiresAt, token.createdAt) <= policy.maxExpiryDays * DAY_MS
  );
}
