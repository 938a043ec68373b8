import type { TokenRecord } from "./store.js";
import type { TokenStatus, TokenView } from "./types.js";

/** A token's status at `now`: revoked wins over expired; expired from the instant `now >= expiresAt`. */
export function statusAt(
  record: Pick<TokenRecord, "expiresAt" | "revokedAt">,
  now: Date,
): TokenStatus {
  if (record.revokedAt !== null) return "revoked";
  if (record.expiresAt !== null && now.getTime() >= record.expiresAt.getTime()) return "expired";
  return "active";
}

/** The caller-facing view of a record at `now`: everything but the hash and the version. */
export function toView(record: TokenRecord, now: Date): TokenView {
  return {
    id: record.id,
    name: record.name,
    owner: { ...record.owner },
    permissions: [...record.permissions],
    createdAt: new Date(record.createdAt.getTime()),
    createdBy: record.createdBy,
    expiresAt: copyDate(record.expiresAt),
    lastAuthenticatedAt: copyDate(record.lastAuthenticatedAt),
    revokedAt: copyDate(record.revokedAt),
    status: statusAt(record, now),
  };
}

function copyDate(date: Date | null): Date | null {
  return date === null ? null : new Date(date.getTime());
}
