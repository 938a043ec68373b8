import { ValidationError } from "../core/errors.js";
import { ownerKey, type TokenRecord } from "../core/store.js";
import type {
  Owner,
  OwnerKind,
  Permission,
  Policy,
  ProjectPermission,
  RepositoryPermission,
  RevokedReason,
} from "../core/types.js";

/** An owner as three nullable columns: which are set depends on `owner_kind`. */
export interface OwnerColumns {
  readonly owner_kind: OwnerKind;
  readonly user_id: string | null;
  readonly project_id: string | null;
  readonly repository_id: string | null;
}

/** A permission list as two columns: at most one project level, exactly one repository level. */
export interface PermissionColumns {
  readonly project_permission: ProjectPermission | null;
  readonly repository_permission: RepositoryPermission;
}

/**
 * A token record as flat SQL columns (snake_case, as in patkit's own schemas): the owner in
 * three columns plus `owner_key` ({@link ownerKey}, for the per-owner index), permissions in
 * two, times as epoch milliseconds (integers: exact to the millisecond), the hash as bytes and
 * the client addresses as an array (encode it as your database needs, e.g. JSON text).
 */
export interface TokenColumns extends OwnerColumns, PermissionColumns {
  readonly id: string;
  readonly name: string;
  readonly owner_key: string;
  readonly secret_hash: Uint8Array;
  readonly created_at: number;
  readonly created_by: string;
  readonly expires_at: number | null;
  readonly last_authenticated_at: number | null;
  readonly revoked_at: number | null;
  readonly version: number;
  readonly revoked_reason: RevokedReason | null;
  readonly replaces: string | null;
  readonly replaced_by: string | null;
  readonly last_used_ips: readonly string[];
}

/** The owner's columns. */
export function ownerColumns(owner: Owner): OwnerColumns {
  switch (owner.kind) {
    case "user":
      return { owner_kind: "user", user_id: owner.userId, project_id: null, repository_id: null };
    case "project":
      return {
        owner_kind: "project",
        user_id: null,
        project_id: owner.projectId,
        repository_id: null,
      };
    case "repository":
      return {
        owner_kind: "repository",
        user_id: null,
        project_id: owner.projectId,
        repository_id: owner.repositoryId,
      };
  }
}

/** The owner that {@link ownerColumns} stored (a new object). */
export function ownerFromColumns(row: OwnerColumns): Owner {
  switch (row.owner_kind) {
    case "user":
      return { kind: "user", userId: row.user_id as string };
    case "project":
      return { kind: "project", projectId: row.project_id as string };
    case "repository":
      return {
        kind: "repository",
        projectId: row.project_id as string,
        repositoryId: row.repository_id as string,
      };
  }
}

/**
 * The permission list as its two columns. The core only hands stores valid lists; this still
 * refuses (`ValidationError`) anything two columns cannot hold: two levels of one scope, no
 * repository level, or a string that is no level.
 */
export function permissionColumns(permissions: readonly Permission[]): PermissionColumns {
  let project: ProjectPermission | null = null;
  let repository: RepositoryPermission | null = null;
  let valid = true;
  for (const permission of permissions) {
    if (typeof permission === "string" && permission.startsWith("PROJECT_")) {
      valid &&= project === null;
      project = permission as ProjectPermission;
    } else if (typeof permission === "string" && permission.startsWith("REPO_")) {
      valid &&= repository === null;
      repository = permission as RepositoryPermission;
    } else valid = false;
  }
  if (!valid || repository === null) {
    throw new ValidationError([
      {
        path: ["permissions"],
        message: "Expected one repository level and at most one project level",
      },
    ]);
  }
  return { project_permission: project, repository_permission: repository };
}

/** The permission list of {@link permissionColumns}' columns (project level first, as patkit orders it). */
export function permissionsFromColumns(row: PermissionColumns): Permission[] {
  return row.project_permission === null
    ? [row.repository_permission]
    : [row.project_permission, row.repository_permission];
}

/** The record's columns: fresh values, nothing shared with the record (the hash is copied). */
export function tokenColumns(record: TokenRecord): TokenColumns {
  return {
    id: record.id,
    name: record.name,
    ...ownerColumns(record.owner),
    owner_key: ownerKey(record.owner),
    ...permissionColumns(record.permissions),
    secret_hash: record.secretHash.slice(),
    created_at: record.createdAt.getTime(),
    created_by: record.createdBy,
    expires_at: timeOrNull(record.expiresAt),
    last_authenticated_at: timeOrNull(record.lastAuthenticatedAt),
    revoked_at: timeOrNull(record.revokedAt),
    version: record.version,
    revoked_reason: record.revokedReason,
    replaces: record.replaces,
    replaced_by: record.replacedBy,
    last_used_ips: record.lastUsedIps.slice(),
  };
}

/** Column names that may come back as numeric text (drivers return `bigint` columns so). */
export type NumericColumn =
  | "created_at"
  | "expires_at"
  | "last_authenticated_at"
  | "revoked_at"
  | "version";

/**
 * What {@link recordFromColumns} reads: {@link TokenColumns} without `owner_key`, the times and
 * the version as numbers or numeric text.
 */
export type StoredTokenColumns = Omit<TokenColumns, "owner_key" | NumericColumn> & {
  readonly [K in NumericColumn]: TokenColumns[K] | string;
};

/**
 * A new record from a row of {@link TokenColumns}: new `Date`s, new arrays, a plain
 * `Uint8Array` copy of the hash, so nothing is shared with the driver's row.
 */
export function recordFromColumns(row: StoredTokenColumns): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    owner: ownerFromColumns(row),
    permissions: permissionsFromColumns(row),
    secretHash: new Uint8Array(row.secret_hash),
    createdAt: new Date(Number(row.created_at)),
    createdBy: row.created_by,
    expiresAt: dateOrNull(row.expires_at),
    lastAuthenticatedAt: dateOrNull(row.last_authenticated_at),
    revokedAt: dateOrNull(row.revoked_at),
    revokedReason: row.revoked_reason,
    replaces: row.replaces,
    replacedBy: row.replaced_by,
    lastUsedIps: row.last_used_ips.slice(),
    version: Number(row.version),
  };
}

/** The global policy as columns (a single row). */
export interface PolicyColumns {
  /** A boolean, or 0/1 where the database has no booleans (SQLite). */
  readonly expiry_required: boolean | number;
  readonly max_expiry_days: number | null;
  readonly max_tokens_per_owner: number | null;
  readonly revoke_unused_after_days: number | null;
}

/** The policy's columns, absent optional fields as `null`. */
export function policyColumns(policy: Policy): PolicyColumns & { expiry_required: boolean } {
  return {
    expiry_required: policy.expiryRequired,
    max_expiry_days: policy.maxExpiryDays,
    max_tokens_per_owner: policy.maxTokensPerOwner ?? null,
    revoke_unused_after_days: policy.revokeUnusedAfterDays ?? null,
  };
}

/** The policy stored by {@link policyColumns}. */
export function policyFromColumns(row: PolicyColumns): Policy {
  return {
    expiryRequired: row.expiry_required === true || row.expiry_required === 1,
    maxExpiryDays: row.max_expiry_days,
    maxTokensPerOwner: row.max_tokens_per_owner,
    revokeUnusedAfterDays: row.revoke_unused_after_days,
  };
}

function timeOrNull(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

function dateOrNull(time: number | string | null): Date | null {
  return time === null ? null : new Date(Number(time));
}
