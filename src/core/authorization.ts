import { ForbiddenError, ValidationError } from "./errors.js";
import type { HostAccess } from "./host-access.js";
import type { Actor, Owner } from "./types.js";

/** Who may do what with tokens: each check throws `ForbiddenError` (or `ValidationError`) when not. */
export interface TokenRules {
  /** Refuses an actor who signed in with a token: tokens never manage tokens or the policy. */
  requireSignedInOtherwise(actor: Actor): void;
  /** A user creates their own personal tokens; project and repository admins create theirs. */
  assertMayCreate(owner: Owner, actor: Actor): Promise<void>;
  /** Owners, the resource's admins and system admins may see, edit and revoke a token. */
  assertMayManage(owner: Owner, actor: Actor, action: string): Promise<void>;
  assertSystemAdmin(actor: Actor, action: string): Promise<void>;
}

/** Who may do what with tokens, asked of the host at the moment of each call. */
export function createAuthorization(access: HostAccess): TokenRules {
  function isResourceAdmin(owner: Owner, userId: string): Promise<boolean> | boolean {
    switch (owner.kind) {
      case "user":
        return false;
      case "project":
        return access.hasPermission(userId, "PROJECT_ADMIN", { projectId: owner.projectId });
      case "repository":
        return access.hasPermission(userId, "REPO_ADMIN", {
          projectId: owner.projectId,
          repositoryId: owner.repositoryId,
        });
    }
  }

  /** Refuses an actor who signed in with a token: tokens never manage tokens or the policy. */
  function requireSignedInOtherwise(actor: Actor): void {
    if (actor.via === "token") {
      throw new ForbiddenError("Tokens cannot manage tokens or the policy: sign in another way");
    }
  }

  /** A user creates their own personal tokens; project and repository admins create theirs. */
  async function assertMayCreate(owner: Owner, actor: Actor): Promise<void> {
    requireSignedInOtherwise(actor);
    if (owner.kind === "user") {
      if (owner.userId !== actor.userId) {
        throw new ForbiddenError("Personal tokens can only be created by their own user");
      }
      return;
    }
    if (!(await isResourceAdmin(owner, actor.userId))) {
      throw new ForbiddenError(`Only ${owner.kind} admins can create ${owner.kind} tokens`);
    }
    // After the admin check: only an admin of the pair learns where the repository lives.
    if (owner.kind === "repository") await assertRepositoryInProject(owner);
  }

  /** A repository token names its repository's own project, when the host can tell. */
  async function assertRepositoryInProject(owner: Owner & { kind: "repository" }): Promise<void> {
    if (access.projectOfRepository === undefined) return;
    if ((await access.projectOfRepository(owner.repositoryId)) !== owner.projectId) {
      throw new ValidationError([
        {
          path: ["owner", "projectId"],
          message: "Must be the project that the repository belongs to",
        },
      ]);
    }
  }

  /** Owners, the resource's admins and system admins may see, edit and revoke a token. */
  async function mayManage(owner: Owner, actor: Actor): Promise<boolean> {
    if (owner.kind === "user" && owner.userId === actor.userId) return true;
    if (await isResourceAdmin(owner, actor.userId)) return true;
    return access.isSystemAdmin(actor.userId);
  }

  async function assertMayManage(owner: Owner, actor: Actor, action: string): Promise<void> {
    if (!(await mayManage(owner, actor))) {
      throw new ForbiddenError(`You may not ${action} this token`);
    }
  }

  async function assertSystemAdmin(actor: Actor, action: string): Promise<void> {
    if (!(await access.isSystemAdmin(actor.userId))) {
      throw new ForbiddenError(`Only system admins may ${action}`);
    }
  }

  return { requireSignedInOtherwise, assertMayCreate, assertMayManage, assertSystemAdmin };
}
