import {
  type AccessTokenEvent,
  type AccessTokensOptions,
  createAccessTokens,
  createManualClock,
  type HostAccess,
  type Permission,
  type Resource,
  type TokenStore,
} from "patkit";
import { createMemoryStore } from "patkit/memory";

const RANK: Record<string, number> = { READ: 1, WRITE: 2, ADMIN: 3 };
const rankOf = (permission: string) => RANK[permission.split("_")[1] as string] as number;

/**
 * A tiny host: users with grants on projects and repositories, system admins, inactive users.
 * A project grant of level L implies the repository level L on every repository in it.
 */
export function createHost() {
  const projectGrants = new Map<string, number>();
  const repositoryGrants = new Map<string, number>();
  const systemAdmins = new Set<string>();
  const inactive = new Set<string>();
  const calls: { userId: string; permission: Permission; resource: Resource }[] = [];
  const key = (...parts: string[]) => JSON.stringify(parts);

  const access: HostAccess = {
    hasPermission(userId, permission, resource) {
      calls.push({ userId, permission, resource });
      const fromProject = projectGrants.get(key(userId, resource.projectId)) ?? 0;
      if (permission.startsWith("PROJECT_")) return fromProject >= rankOf(permission);
      const fromRepository =
        resource.repositoryId === undefined
          ? 0
          : (repositoryGrants.get(key(userId, resource.projectId, resource.repositoryId)) ?? 0);
      return Math.max(fromProject, fromRepository) >= rankOf(permission);
    },
    isSystemAdmin: (userId) => systemAdmins.has(userId),
    isActiveUser: (userId) => !inactive.has(userId),
  };

  return {
    access,
    calls,
    grantProject(userId: string, projectId: string, level: "READ" | "WRITE" | "ADMIN") {
      projectGrants.set(key(userId, projectId), RANK[level] as number);
    },
    grantRepository(
      userId: string,
      projectId: string,
      repositoryId: string,
      level: "READ" | "WRITE" | "ADMIN",
    ) {
      repositoryGrants.set(key(userId, projectId, repositoryId), RANK[level] as number);
    },
    removeAllGrants(userId: string) {
      for (const map of [projectGrants, repositoryGrants]) {
        for (const k of [...map.keys()]) if (JSON.parse(k)[0] === userId) map.delete(k);
      }
    },
    makeSystemAdmin(userId: string) {
      systemAdmins.add(userId);
    },
    deactivate(userId: string) {
      inactive.add(userId);
    },
  };
}

/** Wraps a store and counts the calls of each method (the real store does the work). */
export function countingStore(store: TokenStore) {
  const counts = new Map<string, number>();
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts.set(String(property), (counts.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  const total = () => [...counts.values()].reduce((sum, n) => sum + n, 0);
  return { store: wrapped, counts, total };
}

/**
 * A token service on a memory store with a manual clock and a host where alice is admin of
 * project P (so of its repositories), bob reads P, and root is a system admin.
 */
export function setup(options: Partial<AccessTokensOptions> = {}) {
  const host = createHost();
  host.grantProject("alice", "P", "ADMIN");
  host.grantProject("bob", "P", "READ");
  host.makeSystemAdmin("root");
  const clock = createManualClock("2026-01-01T00:00:00.000Z");
  const memory = createMemoryStore();
  const counting = countingStore(memory);
  const events: AccessTokenEvent[] = [];
  const errors: unknown[] = [];
  const tokens = createAccessTokens({
    store: counting.store,
    clock,
    access: host.access,
    onEvent: (event) => {
      events.push(event);
    },
    onError: (error) => {
      errors.push(error);
    },
    ...options,
  });
  return { tokens, host, clock, memory, counting, events, errors };
}

export const alice = { userId: "alice" } as const;
export const bob = { userId: "bob" } as const;
export const root = { userId: "root" } as const;
export const aliceOwner = { kind: "user", userId: "alice" } as const;
export const projectP = { kind: "project", projectId: "P" } as const;
export const repoP1 = { kind: "repository", projectId: "P", repositoryId: "R1" } as const;
