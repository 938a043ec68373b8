import {
  type AccessTokenEvent,
  type AccessTokens,
  type AccessTokensOptions,
  createAccessTokens,
  createManualClock,
  type ErrorContext,
  type HostAccess,
  type ManualClock,
  type Permission,
  type Resource,
  type TokenStore,
} from "patkit";
import { createMemoryStore, type MemoryStore } from "patkit/memory";
import { type CountingStore, countingStore } from "./counting-store.js";

/** A level of access a host grants a user on a project or a repository. */
export type Level = "READ" | "WRITE" | "ADMIN";

const RANK: Readonly<Record<Level, number>> = { READ: 1, WRITE: 2, ADMIN: 3 };

function rankOf(permission: Permission): number {
  return RANK[permission.slice(permission.indexOf("_") + 1) as Level];
}

/**
 * A small host application: users with grants on projects and repositories, system admins,
 * inactive users and Basic-auth usernames. A project grant of level L gives level L on every
 * repository in the project. These are the host's callbacks patkit asks, not a stand-in for it.
 */
export function createHost() {
  const projectGrants = new Map<string, number>();
  const repositoryGrants = new Map<string, number>();
  const systemAdmins = new Set<string>();
  const inactive = new Set<string>();
  const usernames = new Map<string, string>();
  const calls: { userId: string; permission: Permission; resource: Resource }[] = [];
  const key = (...parts: string[]) => JSON.stringify(parts);

  /** The user's level on a resource, as a rank (0 for none), in the permission's scope. */
  function rankOn(userId: string, projectScope: boolean, resource: Resource): number {
    const fromProject = projectGrants.get(key(userId, resource.projectId)) ?? 0;
    if (projectScope || resource.repositoryId === undefined) return projectScope ? fromProject : 0;
    const fromRepository =
      repositoryGrants.get(key(userId, resource.projectId, resource.repositoryId)) ?? 0;
    return Math.max(fromProject, fromRepository);
  }

  const access: HostAccess = {
    hasPermission(userId, permission, resource) {
      calls.push({ userId, permission, resource });
      return rankOn(userId, permission.startsWith("PROJECT_"), resource) >= rankOf(permission);
    },
    isSystemAdmin: (userId) => systemAdmins.has(userId),
    isActiveUser: (userId) => !inactive.has(userId),
    usernameOf: (userId) => usernames.get(userId) ?? userId,
  };

  return {
    access,
    /** Every `hasPermission` question patkit asked, in order. */
    calls,
    grantProject(userId: string, projectId: string, level: Level) {
      projectGrants.set(key(userId, projectId), RANK[level]);
    },
    grantRepository(userId: string, projectId: string, repositoryId: string, level: Level) {
      repositoryGrants.set(key(userId, projectId, repositoryId), RANK[level]);
    },
    /** Takes every project and repository grant away from the user. */
    removeAllGrants(userId: string) {
      for (const grants of [projectGrants, repositoryGrants]) {
        for (const k of [...grants.keys()]) if (JSON.parse(k)[0] === userId) grants.delete(k);
      }
    },
    makeSystemAdmin(userId: string) {
      systemAdmins.add(userId);
    },
    deactivate(userId: string) {
      inactive.add(userId);
    },
    setUsername(userId: string, username: string) {
      usernames.set(userId, username);
    },
  };
}

/** The host of {@link createHost}. */
export type Host = ReturnType<typeof createHost>;

/** One failure that reached `onError`. */
export interface ReportedError {
  readonly error: unknown;
  readonly context: ErrorContext;
}

/** A token service with everything a test looks at. */
export interface Harness<S extends TokenStore = TokenStore> {
  readonly tokens: AccessTokens;
  /** The store the service runs on, without the counting wrapper. */
  readonly store: S;
  readonly host: Host;
  readonly clock: ManualClock;
  /** Counts the calls the service makes to its store. */
  readonly counting: CountingStore;
  readonly events: AccessTokenEvent[];
  readonly errors: ReportedError[];
}

/** The actors and owners every harness knows. */
export const alice = { userId: "alice" } as const;
export const bob = { userId: "bob" } as const;
export const root = { userId: "root" } as const;
export const aliceOwner = { kind: "user", userId: "alice" } as const;
export const projectP = { kind: "project", projectId: "P" } as const;
export const repoP1 = { kind: "repository", projectId: "P", repositoryId: "R1" } as const;

/** One token of each kind, REPO_READ, created by alice: alice's, project P's and P/R1's. */
export async function issueOneOfEach(tokens: Harness["tokens"]) {
  const issue = (owner: typeof aliceOwner | typeof projectP | typeof repoP1) =>
    tokens.create({ owner, name: owner.kind, permissions: ["REPO_READ"] }, alice);
  return {
    personal: await issue(aliceOwner),
    project: await issue(projectP),
    repository: await issue(repoP1),
  };
}

/**
 * A token service over `store` (default: a fresh memory store) with a manual clock and a host
 * where alice administers project P, bob reads it, and root is a system admin. Events and
 * reported errors are collected.
 */
export function createHarness<S extends TokenStore = MemoryStore>(
  options: Partial<AccessTokensOptions> & { store?: S; clock?: ManualClock } = {},
): Harness<S> {
  const host = createHost();
  host.grantProject("alice", "P", "ADMIN");
  host.grantProject("bob", "P", "READ");
  host.makeSystemAdmin("root");
  const clock = options.clock ?? createManualClock("2026-01-01T00:00:00.000Z");
  const store = options.store ?? (createMemoryStore() as TokenStore as S);
  const counting = countingStore(store);
  const events: AccessTokenEvent[] = [];
  const errors: ReportedError[] = [];
  const tokens = createAccessTokens({
    access: host.access,
    onEvent: (event) => {
      events.push(event);
    },
    onError: (error, context) => {
      errors.push({ error, context });
    },
    ...options,
    store: counting.store,
    clock,
  });
  return { tokens, store, host, clock, counting, events, errors };
}
