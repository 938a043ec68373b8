import {
  type Owner,
  type Permission,
  type ProjectPermission,
  type RepositoryPermission,
  type RevokedReason,
  ValidationError,
} from "../../index.js";
import type { TokenRecord } from "../../store/index.js";

/**
 * The columns every read selects. Times come back as epoch milliseconds and the hash as hex,
 * so decoding does not depend on the driver's type parsers (which applications may replace).
 */
export const RECORD_COLUMNS = `id, name, owner_kind, user_id, project_id, repository_id,
  project_permission, repository_permission, encode(secret_hash, 'hex') AS secret_hash,
  round(date_part('epoch', created_at) * 1000) AS created_at, created_by,
  round(date_part('epoch', expires_at) * 1000) AS expires_at,
  round(date_part('epoch', last_authenticated_at) * 1000) AS last_authenticated_at,
  round(date_part('epoch', revoked_at) * 1000) AS revoked_at, version, revoked_reason, replaces,
  replaced_by, array_to_string(last_used_ips, ' ') AS last_used_ips`;

/** A row as {@link RECORD_COLUMNS} selects it. */
interface TokenRow {
  id: string;
  name: string;
  owner_kind: Owner["kind"];
  user_id: string | null;
  project_id: string | null;
  repository_id: string | null;
  project_permission: ProjectPermission | null;
  repository_permission: RepositoryPermission;
  secret_hash: string;
  created_at: number | string;
  created_by: string;
  expires_at: number | string | null;
  last_authenticated_at: number | string | null;
  revoked_at: number | string | null;
  version: number | string;
  revoked_reason: RevokedReason | null;
  replaces: string | null;
  replaced_by: string | null;
  /** Space-separated (an address never holds a space). */
  last_used_ips: string | null;
}

/** A fresh record from a row: new objects, nothing shared with the driver. */
export function recordFromRow(value: unknown): TokenRecord {
  const row = value as TokenRow;
  const permissions: Permission[] = [];
  if (row.project_permission !== null) permissions.push(row.project_permission);
  permissions.push(row.repository_permission);
  return {
    id: row.id,
    name: row.name,
    owner: ownerFromRow(row),
    permissions,
    secretHash: fromHex(row.secret_hash),
    createdAt: new Date(Number(row.created_at)),
    createdBy: row.created_by,
    expiresAt: dateOrNull(row.expires_at),
    lastAuthenticatedAt: dateOrNull(row.last_authenticated_at),
    revokedAt: dateOrNull(row.revoked_at),
    revokedReason: row.revoked_reason,
    replaces: row.replaces,
    replacedBy: row.replaced_by,
    lastUsedIps: row.last_used_ips ? row.last_used_ips.split(" ") : [],
    version: Number(row.version),
  };
}

function ownerFromRow(row: TokenRow): Owner {
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

function dateOrNull(value: number | string | null): Date | null {
  return value === null ? null : new Date(Number(value));
}

/** The owner as its three columns, in the order `insert_token` takes them. */
export function ownerColumns(owner: Owner): [string | null, string | null, string | null] {
  switch (owner.kind) {
    case "user":
      return [owner.userId, null, null];
    case "project":
      return [null, owner.projectId, null];
    case "repository":
      return [null, owner.projectId, owner.repositoryId];
  }
}

/**
 * A permission list as its two columns: the project level (or null) and the repository level.
 * The database rejects unknown levels too; this catches two levels of one scope, which two
 * columns cannot hold.
 */
export function permissionColumns(
  permissions: readonly Permission[],
): [ProjectPermission | null, RepositoryPermission] {
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
  return [project, repository];
}

/** Milliseconds-exact text PostgreSQL reads as a `timestamptz`, or null. */
export function timestamp(date: Date | null, field: string): string | null {
  if (date === null) return null;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new ValidationError([{ path: [field], message: "Expected a valid Date" }]);
  }
  return date.toISOString();
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Hex text of bytes, for `decode($n, 'hex')`. */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}
