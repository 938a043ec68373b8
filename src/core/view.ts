import { isExpiredAt, isRevokedAt, type TokenRecord } from "./store.js";
import type { Owner, TokenStatus, TokenView } from "./types.js";

/**
 * A token's status at `now`: revoked wins over expired; revoked from the instant
 * `now >= revokedAt` (a scheduled end ahead is still active), expired from `now >= expiresAt`.
 */
export function statusAt(
  record: Pick<TokenRecord, "expiresAt" | "revokedAt">,
  now: Date,
): TokenStatus {
  if (isRevokedAt(record, now)) return "revoked";
  if (isExpiredAt(record, now)) return "expired";
  return "active";
}

/**
 * The caller-facing view of a record at `now`: everything but the hash and the version, as
 * copies. Views never share parts with records (a record may be the verification cache's, and
 * a `Date` cannot be frozen): one rule, and it costs the verify path about nothing measurable
 * (docs/benchmarks.md, "Issue 10: views copy").
 */
export function toView(record: TokenRecord, now: Date): TokenView {
  return {
    id: record.id,
    name: record.name,
    owner: copyOwner(record.owner),
    permissions: record.permissions.slice(),
    createdAt: new Date(record.createdAt.getTime()),
    createdBy: record.createdBy,
    expiresAt: copyDate(record.expiresAt),
    lastAuthenticatedAt: copyDate(record.lastAuthenticatedAt),
    revokedAt: copyDate(record.revokedAt),
    revokedReason: record.revokedReason ?? null,
    replaces: record.replaces ?? null,
    replacedBy: record.replacedBy ?? null,
    lastUsedIps: record.lastUsedIps?.slice() ?? [],
    status: statusAt(record, now),
  };
}

function copyDate(date: Date | null): Date | null {
  return date === null ? null : new Date(date.getTime());
}

/**
 * A copy of an owner with only its own fields, built as a literal per kind: every copy of a kind
 * shares one object shape, which keeps the verify path's property accesses monomorphic.
 */
export function copyOwner(owner: Owner): Owner {
  switch (owner.kind) {
    case "user":
      return { kind: "user", userId: owner.userId };
    case "project":
      return { kind: "project", projectId: owner.projectId };
    case "repository":
      return {
        kind: "repository",
        projectId: owner.projectId,
        repositoryId: owner.repositoryId,
      };
  }
}
