import type {
  OwnerKind,
  Permission,
  ProjectPermission,
  RepositoryPermission,
  Requirement,
} from "./types.js";

/** The project levels, weakest first. */
export const PROJECT_PERMISSIONS: readonly ProjectPermission[] = Object.freeze([
  "PROJECT_READ",
  "PROJECT_WRITE",
  "PROJECT_ADMIN",
]);

/** The repository levels, weakest first. */
export const REPOSITORY_PERMISSIONS: readonly RepositoryPermission[] = Object.freeze([
  "REPO_READ",
  "REPO_WRITE",
  "REPO_ADMIN",
]);

/** Every permission, project levels first. */
export const PERMISSIONS: readonly Permission[] = Object.freeze([
  ...PROJECT_PERMISSIONS,
  ...REPOSITORY_PERMISSIONS,
]);

const RANK: Readonly<Record<Permission, number>> = {
  PROJECT_READ: 1,
  PROJECT_WRITE: 2,
  PROJECT_ADMIN: 3,
  REPO_READ: 1,
  REPO_WRITE: 2,
  REPO_ADMIN: 3,
};

/** True when `value` is one of the six permission names. */
export function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** True for PROJECT_READ, PROJECT_WRITE and PROJECT_ADMIN. */
export function isProjectPermission(permission: Permission): permission is ProjectPermission {
  return permission.startsWith("PROJECT_");
}

/** A token's levels, split by scope. */
export interface PermissionLevels {
  readonly project: ProjectPermission | null;
  readonly repository: RepositoryPermission | null;
}

/** Splits a permission list into its project level and its repository level (the last of each). */
export function levelsOf(permissions: readonly Permission[]): PermissionLevels {
  let project: ProjectPermission | null = null;
  let repository: RepositoryPermission | null = null;
  for (const permission of permissions) {
    if (isProjectPermission(permission)) project = permission;
    else repository = permission;
  }
  return { project, repository };
}

/**
 * Why a permission list is not a valid set for a token of `kind`, or an empty list when it is.
 * The rules: exactly one repository level, at most one project level, the repository level at
 * least the project level, and no project level on a repository token.
 */
export function permissionProblems(permissions: readonly Permission[], kind: OwnerKind): string[] {
  const problems: string[] = [];
  const projectLevels = permissions.filter(isProjectPermission);
  const repositoryLevels = permissions.length - projectLevels.length;
  if (repositoryLevels !== 1) {
    problems.push("Give exactly one repository level (REPO_READ, REPO_WRITE or REPO_ADMIN)");
  }
  if (projectLevels.length > 1) problems.push("Give at most one project level");
  if (kind === "repository" && projectLevels.length > 0) {
    problems.push("A repository token carries no project level");
  }
  const { project, repository } = levelsOf(permissions);
  if (problems.length === 0 && project && repository && RANK[repository] < RANK[project]) {
    problems.push(
      `${repository} is below ${project}: the repository level must be at least the project level`,
    );
  }
  return problems;
}

/** The canonical order of a valid permission set: the project level (if any), then the repository level. */
export function canonicalPermissions(permissions: readonly Permission[]): Permission[] {
  const { project, repository } = levelsOf(permissions);
  const ordered: Permission[] = [];
  if (project) ordered.push(project);
  if (repository) ordered.push(repository);
  return ordered;
}

/** True when a token holding `levels` meets `required` by its own level (reach aside). */
export function levelsSatisfy(levels: PermissionLevels, required: Permission): boolean {
  const held = isProjectPermission(required) ? levels.project : levels.repository;
  return held !== null && RANK[held] >= RANK[required];
}

/** Whether a requirement's resource lies within what a project/repository owner reaches. */
export function ownerReaches(
  owner: { kind: OwnerKind; projectId?: string; repositoryId?: string },
  requirement: Requirement,
): boolean {
  switch (owner.kind) {
    case "user":
      return true;
    case "project":
      return owner.projectId === requirement.projectId;
    case "repository":
      return (
        owner.projectId === requirement.projectId &&
        requirement.repositoryId !== undefined &&
        owner.repositoryId === requirement.repositoryId
      );
  }
}
