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
}
