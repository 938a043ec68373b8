import { ValidationError } from "../../index.js";
import {
  ownerColumns,
  permissionColumns,
  recordFromColumns,
  type StoredTokenColumns,
  type TokenRecord,
} from "../../store/index.js";

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

/** A row as {@link RECORD_COLUMNS} selects it: patkit's columns, the hash as hex, the addresses as text. */
type TokenRow = Omit<StoredTokenColumns, "secret_hash" | "last_used_ips"> & {
  secret_hash: string;
  /** Space-separated (an address never holds a space). */
  last_used_ips: string | null;
};

/** A fresh record from a row: new objects, nothing shared with the driver. */
export function recordFromRow(value: unknown): TokenRecord {
  const row = value as TokenRow;
  return recordFromColumns({
    ...row,
    secret_hash: fromHex(row.secret_hash),
    last_used_ips: row.last_used_ips ? row.last_used_ips.split(" ") : [],
  });
}

/**
 * The values `insert_token` and the rotation's insert take first: id, name, the owner's and
 * the permissions' columns, the hash as hex and the creation time.
 */
export function leadingValues(record: TokenRecord): unknown[] {
  const owner = ownerColumns(record.owner);
  const permissions = permissionColumns(record.permissions);
  return [
    record.id,
    record.name,
    owner.owner_kind,
    owner.user_id,
    owner.project_id,
    owner.repository_id,
    permissions.project_permission,
    permissions.repository_permission,
    toHex(record.secretHash),
    timestamp(record.createdAt, "createdAt"),
  ];
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
