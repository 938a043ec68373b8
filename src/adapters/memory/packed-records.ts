import {
  type Owner,
  type Permission,
  PROJECT_PERMISSIONS,
  type ProjectPermission,
  REPOSITORY_PERMISSIONS,
  type RepositoryPermission,
  type RevokedReason,
} from "../../index.js";
import type { TokenRecord } from "../../store/index.js";

// How the memory store keeps its records: small, so that a million tokens fit in well under a
// gigabyte. A `TokenRecord` as callers see it costs about 1 000 bytes of heap, most of it in
// objects that V8 makes large: a 32-byte `Uint8Array` takes about 230 bytes (typed array, its
// buffer and the bytes), each `Date` about 110. Packed, the hash is a 32-character one-byte
// string (about 48 bytes), times are numbers, the owner is flattened into the record and the
// permissions are one small integer; records are unpacked into fresh objects on every read.
// What most tokens never have (a revocation reason, rotation links, client addresses) lives in
// one optional `lifecycle` object, so a token without it pays one null field.

const OWNER_KINDS = ["user", "project", "repository"] as const;

/** The rarely set fields of a record, kept together (see the top of this file). */
interface Lifecycle {
  readonly revokedReason: RevokedReason | null;
  readonly replaces: string | null;
  readonly replacedBy: string | null;
  /** A copy, shared by the unpacked records only as copies. */
  readonly lastUsedIps: readonly string[];
}

/** A record as the memory store keeps it (see the top of this file). */
class PackedRecord {
  constructor(
    readonly id: string,
    readonly name: string,
    /** 0 user, 1 project, 2 repository (index into OWNER_KINDS). */
    readonly ownerKind: number,
    /** The user id, or the project id. */
    readonly ownerId: string,
    /** The repository id of a repository token, else null. */
    readonly repositoryId: string | null,
    /** A permission code (see `permissionCode`), or a copy of a list that has none. */
    readonly permissions: number | readonly Permission[],
    /** The hash's bytes as the char codes of a one-byte string. */
    readonly secretHash: string,
    readonly createdAt: number,
    readonly createdBy: string,
    readonly expiresAt: number | null,
    readonly lastAuthenticatedAt: number | null,
    readonly revokedAt: number | null,
    readonly version: number,
    readonly lifecycle: Lifecycle | null,
  ) {}
}

function pack(record: TokenRecord): PackedRecord {
  const owner = record.owner;
  const ownerId = owner.kind === "user" ? owner.userId : owner.projectId;
  return new PackedRecord(
    record.id,
    record.name,
    OWNER_KINDS.indexOf(owner.kind),
    ownerId,
    owner.kind === "repository" ? owner.repositoryId : null,
    permissionCode(record.permissions) ?? record.permissions.slice(),
    String.fromCharCode.apply(null, record.secretHash as unknown as number[]),
    record.createdAt.getTime(),
    // Personal tokens are mostly created by their owner: keep that id once.
    record.createdBy === ownerId ? ownerId : record.createdBy,
    timeOrNull(record.expiresAt),
    timeOrNull(record.lastAuthenticatedAt),
    timeOrNull(record.revokedAt),
    record.version,
    lifecycleOf(record),
  );
}

function lifecycleOf(record: TokenRecord): Lifecycle | null {
  const { revokedReason, replaces, replacedBy, lastUsedIps } = record;
  if (
    revokedReason === null &&
    replaces === null &&
    replacedBy === null &&
    lastUsedIps.length === 0
  )
    return null;
  return { revokedReason, replaces, replacedBy, lastUsedIps: lastUsedIps.slice() };
}

/** A fresh record: nothing in it is shared with the store or with another caller. */
function unpack(packed: PackedRecord): TokenRecord {
  const hash = packed.secretHash;
  const secretHash = new Uint8Array(hash.length);
  for (let i = 0; i < hash.length; i++) secretHash[i] = hash.charCodeAt(i);
  return {
    id: packed.id,
    name: packed.name,
    owner: ownerOf(packed),
    permissions: permissionsOf(packed.permissions),
    secretHash,
    createdAt: new Date(packed.createdAt),
    createdBy: packed.createdBy,
    expiresAt: packed.expiresAt === null ? null : new Date(packed.expiresAt),
    lastAuthenticatedAt:
      packed.lastAuthenticatedAt === null ? null : new Date(packed.lastAuthenticatedAt),
    revokedAt: packed.revokedAt === null ? null : new Date(packed.revokedAt),
    revokedReason: packed.lifecycle?.revokedReason ?? null,
    replaces: packed.lifecycle?.replaces ?? null,
    replacedBy: packed.lifecycle?.replacedBy ?? null,
    lastUsedIps: packed.lifecycle === null ? [] : packed.lifecycle.lastUsedIps.slice(),
    version: packed.version,
  };
}

// One object literal per owner kind, so each kind has one shape.
function ownerOf(packed: PackedRecord): Owner {
  switch (packed.ownerKind) {
    case 0:
      return { kind: "user", userId: packed.ownerId };
    case 1:
      return { kind: "project", projectId: packed.ownerId };
    default:
      return {
        kind: "repository",
        projectId: packed.ownerId,
        repositoryId: packed.repositoryId as string,
      };
  }
}

/**
 * `[repository level]` or `[project level, repository level]` (the canonical order) as
 * `project * 4 + repository`, levels counted from 1 (project 0: none); `undefined` for any other
 * list, which is then kept as it is.
 */
function permissionCode(permissions: readonly Permission[]): number | undefined {
  const repository = REPOSITORY_PERMISSIONS.indexOf(permissions.at(-1) as RepositoryPermission) + 1;
  if (repository === 0) return undefined;
  if (permissions.length === 1) return repository;
  const project = PROJECT_PERMISSIONS.indexOf(permissions[0] as ProjectPermission) + 1;
  if (permissions.length !== 2 || project === 0) return undefined;
  return project * 4 + repository;
}

function permissionsOf(code: number | readonly Permission[]): Permission[] {
  if (typeof code !== "number") return code.slice();
  const repository = REPOSITORY_PERMISSIONS[(code & 3) - 1] as RepositoryPermission;
  const project = code >>> 2;
  if (project === 0) return [repository];
  return [PROJECT_PERMISSIONS[project - 1] as ProjectPermission, repository];
}

function timeOrNull(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

/**
 * The memory store's records by id, packed: the part of `Map<string, TokenRecord>` the store
 * uses, where `set` keeps a packed copy and every read unpacks a fresh record.
 */
export class PackedRecords {
  private readonly packed = new Map<string, PackedRecord>();

  get size(): number {
    return this.packed.size;
  }

  has(id: string): boolean {
    return this.packed.has(id);
  }

  /** A fresh copy of the record, or `undefined`. */
  get(id: string): TokenRecord | undefined {
    const packed = this.packed.get(id);
    return packed === undefined ? undefined : unpack(packed);
  }

  /** Keeps a packed copy of `record` (the caller's objects are not kept). */
  set(id: string, record: TokenRecord): this {
    this.packed.set(id, pack(record));
    return this;
  }

  delete(id: string): boolean {
    return this.packed.delete(id);
  }

  /** Fresh copies of every record, in insertion order. */
  *values(): IterableIterator<TokenRecord> {
    for (const packed of this.packed.values()) yield unpack(packed);
  }
}
