import type { Awaitable, Permission, Requirement } from "../../index.js";
import type { GitRepositoryRef } from "./git-requirement.js";

/** The permission a request needs: fixed, or a function of the request (e.g. of its method). */
export type PermissionSource<R> = Permission | ((request: R) => Permission);

/**
 * The host's lookup from a request to the repository it addresses, in the host's ids (project
 * and repository, both from the host's own records); `null` when no repository lives there.
 */
export type ResolveRequestRepository<R> = (
  request: R,
) => Awaitable<GitRepositoryRef | null | undefined>;

/**
 * A requirement source for the HTTP helpers (`requirement` of `createExpressMiddleware`,
 * `createFastifyHook`, `authenticateRequest`, `authenticateNodeRequest`) that names a repository
 * the way it must be named: `projectId` and `repositoryId` both come from the repository the
 * host resolved, never the project id from one URL parameter and the repository id from
 * another (a project token of one project could otherwise reach another project's repository).
 *
 * When no repository lives there (`null`), the requirement is `null`: any valid token passes,
 * so an anonymous caller still gets a 401 and learns nothing, and your handler answers 404.
 *
 * @example
 * ```ts
 * app.get("/api/repos/:repositoryId/files", createExpressMiddleware<Request>(tokens, {
 *   requirement: repositoryRequirement(
 *     (req) => (req.method === "GET" ? "REPO_READ" : "REPO_WRITE"),
 *     (req) => repositories.byId(String(req.params.repositoryId)), // -> { projectId, repositoryId } | null
 *   ),
 * }), handler);
 * ```
 */
export function repositoryRequirement<R>(
  permission: PermissionSource<R>,
  resolveRepository: ResolveRequestRepository<R>,
): (request: R) => Awaitable<Requirement | null> {
  return (request) => {
    const found = resolveRepository(request);
    if (typeof (found as PromiseLike<unknown> | null)?.then === "function") {
      return Promise.resolve(found).then((ref) => toRequirement(permission, request, ref));
    }
    return toRequirement(permission, request, found as GitRepositoryRef | null | undefined);
  };
}

function toRequirement<R>(
  permission: PermissionSource<R>,
  request: R,
  ref: GitRepositoryRef | null | undefined,
): Requirement | null {
  if (ref == null) return null;
  return {
    permission: typeof permission === "function" ? permission(request) : permission,
    projectId: ref.projectId,
    repositoryId: ref.repositoryId,
  };
}
