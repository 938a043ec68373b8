import {
  type AccessTokens,
  type AccessTokensOptions,
  createAccessTokens,
  type HostAccess,
  type TokenStore,
} from "patkit";
import { createMemoryStore } from "patkit/memory";

/** The bench's user; the host grants it everything below admin. */
export const USER = { userId: "bench-user" } as const;

/** A requirement a REPO_WRITE personal token meets, which makes patkit ask the host. */
export const REQUIREMENT = {
  permission: "REPO_READ",
  projectId: "bench-project",
  repositoryId: "bench-repo",
} as const;

/** A host that answers synchronously, as an in-process permission cache would. */
export const hostAccess: HostAccess = {
  hasPermission: (_userId, permission) =>
    permission !== "REPO_ADMIN" && permission !== "PROJECT_ADMIN",
  isSystemAdmin: (userId) => userId === "bench-admin",
};

/** A pepper for the HMAC cases (a bench constant, not a secret). */
export const BENCH_PEPPER = "bench-pepper-not-a-secret";

/** The token service on `store`, with the bench host. */
export function accessTokensOn(
  store: TokenStore,
  options: Partial<AccessTokensOptions> = {},
): AccessTokens {
  return createAccessTokens({ store, access: hostAccess, ...options });
}

/** Creates `count` personal tokens for the bench user and returns their secrets. */
export async function createPersonalTokens(
  tokens: AccessTokens,
  count: number,
  expiryDays: number | null = null,
): Promise<string[]> {
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    const { secret } = await tokens.create(
      {
        owner: { kind: "user", userId: USER.userId },
        name: `bench ${i}`,
        permissions: ["REPO_WRITE"],
        expiryDays,
      },
      USER,
    );
    secrets.push(secret);
  }
  return secrets;
}

/** A well-formed token (valid checksum) whose id no bench store holds. */
export async function unknownToken(): Promise<string> {
  const [secret] = await createPersonalTokens(accessTokensOn(createMemoryStore()), 1);
  return secret as string;
}

/** The same token with one checksum character changed: rejected before any hash or lookup. */
export function withBadChecksum(secret: string): string {
  const last = secret.at(-1) === "A" ? "B" : "A";
  return secret.slice(0, -1) + last;
}

/** Cycles through `items`: each call returns the next one. */
export function roundRobin<T>(items: readonly T[]): () => T {
  let next = 0;
  return () => {
    const item = items[next] as T;
    next = next + 1 === items.length ? 0 : next + 1;
    return item;
  };
}
