/** A value, or a promise of it: host callbacks and store methods may answer either way. */
export type Awaitable<T> = T | Promise<T>;

/** Project-level permissions, weakest first. */
export type ProjectPermission = "PROJECT_READ" | "PROJECT_WRITE" | "PROJECT_ADMIN";

/** Repository-level permissions, weakest first. */
export type RepositoryPermission = "REPO_READ" | "REPO_WRITE" | "REPO_ADMIN";

/** Any permission a token can carry or a request can require. There is no global/system level. */
export type Permission = ProjectPermission | RepositoryPermission;

/** A personal token's owner: one user of the host, by the host's stable id. */
export interface UserOwner {
  readonly kind: "user";
  readonly userId: string;
}

/** A project token's owner: one project of the host. */
export interface ProjectOwner {
  readonly kind: "project";
  readonly projectId: string;
}

/** A repository token's owner: one repository, with the project that holds it. */
export interface RepositoryOwner {
  readonly kind: "repository";
  readonly projectId: string;
  readonly repositoryId: string;
}

/** Who owns a token, which also decides what it can reach. */
export type Owner = UserOwner | ProjectOwner | RepositoryOwner;

/** The kind of a token, named for its owner. */
export type OwnerKind = Owner["kind"];

/** A project, or one repository in it, as the host identifies them. */
export interface Resource {
  readonly projectId: string;
  readonly repositoryId?: string;
}

/** What a request needs: a permission on a project or on one of its repositories. */
export interface Requirement extends Resource {
  readonly permission: Permission;
}

/**
 * Who performs a management call. `via: "token"` marks an actor who signed in with an access
 * token: such an actor may read, but never create, edit or revoke tokens or change the policy.
 */
export interface Actor {
  readonly userId: string;
  readonly via?: "session" | "token";
}

/** Where a token stands at a given instant. */
export type TokenStatus = "active" | "expired" | "revoked";

/**
 * Why a token was revoked: by hand (`manual`), replaced by {@link AccessTokens.rotate}
 * (`rotated`), reported as leaked (`leaked`), or by maintenance for lack of use (`unused`).
 */
export type RevokedReason = "manual" | "rotated" | "leaked" | "unused";

/** A token as callers see it: never its secret, never its hash. */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly owner: Owner;
  /** The token's levels: at most one project level, then exactly one repository level. */
  readonly permissions: readonly Permission[];
  readonly createdAt: Date;
  /** The user id of the actor who created it. */
  readonly createdBy: string;
  readonly expiresAt: Date | null;
  readonly lastAuthenticatedAt: Date | null;
  /**
   * When the token stops (or stopped) working by revocation. A rotated token's is the end of
   * its grace period, which may lie ahead: the token is `active` until then.
   */
  readonly revokedAt: Date | null;
  /** Why it was revoked; `null` while it is not (and for revocations recorded before v0.2). */
  readonly revokedReason: RevokedReason | null;
  /** The id of the token this one replaced by rotation, or `null`. */
  readonly replaces: string | null;
  /** The id of the token that replaced this one by rotation, or `null`. */
  readonly replacedBy: string | null;
  /** Up to 5 distinct client addresses it was last used from, most recent first (normalised). */
  readonly lastUsedIps: readonly string[];
  /** Computed at read time: `revoked` from the instant `revokedAt <= now`. */
  readonly status: TokenStatus;
}

/** The global token policy that system admins set. */
export interface Policy {
  /** New tokens must be created with an expiry. */
  readonly expiryRequired: boolean;
  /** The longest expiry a new token may get, in days; `null` for no maximum. */
  readonly maxExpiryDays: number | null;
  /**
   * How many live (neither expired nor revoked) tokens one owner may hold. Absent (or `null`)
   * for no limit; patkit leaves it out of the policies it returns when there is none.
   */
  readonly maxTokensPerOwner?: number | null;
  /**
   * Maintenance revokes live tokens unused (not authenticated, or if never, not created) for
   * this many whole days, with reason `"unused"`. Absent (or `null`, the default) to keep
   * them; patkit leaves it out of the policies it returns when there is none.
   */
  readonly revokeUnusedAfterDays?: number | null;
}
