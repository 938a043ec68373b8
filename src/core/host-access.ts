import type { Awaitable, Permission, Resource } from "./types.js";

/**
 * The host's answers about its own users and resources. patkit owns tokens; the host owns who
 * may do what, and patkit asks it at the moment of each decision.
 */
export interface HostAccess {
  /** Whether the user currently holds `permission` (or more) on the resource. */
  hasPermission(userId: string, permission: Permission, resource: Resource): Awaitable<boolean>;
  /** Whether the user is a system administrator. */
  isSystemAdmin(userId: string): Awaitable<boolean>;
  /** Whether the user exists and may sign in; personal tokens of other users authenticate nothing. Default: always. */
  isActiveUser?(userId: string): Awaitable<boolean>;
  /** The username a personal token pairs with in HTTP Basic auth. Default: the user id itself. */
  usernameOf?(userId: string): Awaitable<string>;
  /**
   * The id of the project the repository belongs to, or `null` when no repository has this id.
   * When given, patkit never trusts a requirement's `projectId` for a repository: whenever a
   * requirement names a repository (`repositoryId`) and a project or personal token is
   * verified against it, the repository's project must be the requirement's `projectId`, or
   * the result is `insufficient_permission`; and a repository token can only be created for
   * the repository's own project. Without it, patkit takes the requirement's pair as given
   * (v0.1's behaviour): build requirements only from a repository you resolved (for example
   * with `repositoryRequirement` of `patkit/http`), never from a second URL parameter, or a
   * project token of one project could reach another project's repository.
   *
   * Needed when repository ids are unique across projects (a repository can then be named
   * under any project id). Answer from memory or a cache when you can: it is asked on every
   * such verify.
   */
  projectOfRepository?(repositoryId: string): Awaitable<string | null>;
}
