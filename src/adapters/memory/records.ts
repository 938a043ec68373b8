import { copyOwner } from "../../core/view.js";
import type { ListPosition, TokenRecord } from "../../store/index.js";

/** A deep copy: the store never shares an object, array, date or byte array with its callers. */
export function cloneRecord(record: TokenRecord): TokenRecord {
  return {
    id: record.id,
    name: record.name,
    owner: copyOwner(record.owner),
    permissions: record.permissions.slice(),
    secretHash: record.secretHash.slice(),
    createdAt: new Date(record.createdAt.getTime()),
    createdBy: record.createdBy,
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt.getTime()),
    lastAuthenticatedAt:
      record.lastAuthenticatedAt === null ? null : new Date(record.lastAuthenticatedAt.getTime()),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt.getTime()),
    revokedReason: record.revokedReason,
    replaces: record.replaces,
    replacedBy: record.replacedBy,
    lastUsedIps: record.lastUsedIps.slice(),
    version: record.version,
  };
}

/** Listing order: by creation time, then by id. */
export function comparePosition(a: ListPosition, b: ListPosition): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
