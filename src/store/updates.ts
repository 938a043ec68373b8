import { ExpiryImmutableError } from "../core/errors.js";
import {
  mergeLastUsedIps,
  type TokenPatch,
  type TokenRecord,
  type TouchEntry,
} from "../core/store.js";

/**
 * The record `updateIfVersion` stores: `patch` applied to `current` and the version plus one.
 * Throws `ExpiryImmutableError` when the patch sets an expiry that is already set. It shares
 * the unchanged parts with `current` and the patch's values (copy before handing it out). The
 * store still reads `current` and writes the result as one step, conditional on the version.
 */
export function applyPatch(current: TokenRecord, patch: TokenPatch): TokenRecord {
  if (patch.expiresAt !== undefined && current.expiresAt !== null) {
    throw new ExpiryImmutableError();
  }
  return {
    ...current,
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.permissions !== undefined && { permissions: patch.permissions }),
    ...(patch.expiresAt !== undefined && { expiresAt: patch.expiresAt }),
    ...(patch.secretHash !== undefined && { secretHash: patch.secretHash }),
    version: current.version + 1,
  };
}

/** What one last-authenticated write changes. */
export interface TouchedFields {
  readonly lastAuthenticatedAt: Date | null;
  readonly lastUsedIps: string[];
}

/**
 * What `touchLastAuthenticated` writes for one entry, by the port's rule: the later of the
 * stored instant and `entry.at`, and `entry.ip` merged into `lastUsedIps`
 * ({@link mergeLastUsedIps}); `null` when nothing changes (skip the write). No version change.
 */
export function touchedFields(
  current: Pick<TokenRecord, "lastAuthenticatedAt" | "lastUsedIps">,
  entry: TouchEntry,
): TouchedFields | null {
  const at = entry.at.getTime();
  const stored = current.lastAuthenticatedAt;
  const newer = stored === null || stored.getTime() <= at;
  if (!newer && (entry.ip === undefined || current.lastUsedIps.includes(entry.ip))) return null;
  return {
    lastAuthenticatedAt: newer ? new Date(at) : stored,
    lastUsedIps: mergeLastUsedIps(current.lastUsedIps, entry.ip, newer),
  };
}
