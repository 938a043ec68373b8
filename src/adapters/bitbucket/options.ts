import { type AccessTokens, type Actor, type Awaitable, ValidationError } from "../../index.js";

/** The token calls the handler makes: an `AccessTokens` from `createAccessTokens` fits. */
export type BitbucketApiTokens = Pick<
  AccessTokens,
  "create" | "get" | "list" | "update" | "revoke" | "rotate" | "getPolicy" | "setPolicy"
>;

/** A repository as the host's `resolveRepository` finds it. */
export interface ResolvedRepository {
  readonly projectId: string;
  readonly repositoryId: string;
}

/** The options of {@link createBitbucketApi}. */
export interface BitbucketApiOptions {
  /** Where tokens live: `createAccessTokens(...)`. */
  readonly tokens: BitbucketApiTokens;
  /**
   * Who is calling: the host's own sign-in (session cookie, SSO, Basic with a password...), or
   * `null` when nobody is signed in. An actor `via: "token"` (signed in with an access token) is
   * answered 401 on every call, as Bitbucket does.
   */
  readonly authenticate: (request: Request) => Awaitable<Actor | null>;
  /** The user id of a user slug (`/users/{userSlug}`), or `null` when there is no such user. */
  readonly resolveUser: (userSlug: string) => Awaitable<string | null>;
  /** The project id of a project key, or `null` when there is no such project. */
  readonly resolveProject: (projectKey: string) => Awaitable<string | null>;
  /** The ids of a repository, or `null` when the project or repository does not exist. */
  readonly resolveRepository: (
    projectKey: string,
    repositorySlug: string,
  ) => Awaitable<ResolvedRepository | null>;
  /**
   * The `user` object of a personal token's JSON (Bitbucket's `{ name, emailAddress, id,
   * displayName, active, slug, type }`), or `null` to leave `user` out. Default: left out.
   */
  readonly describeUser?: (userId: string) => Awaitable<object | null>;
  /** Where the API is mounted; default `"/rest/access-tokens"`. */
  readonly basePath?: string;
  /**
   * Told of failures that are not the client's (a resolver that throws, a bug), which are
   * answered 500 without details. Never given secrets.
   */
  readonly onError?: (error: unknown) => void;
}

/** The default mount point, Bitbucket's own. */
export const DEFAULT_BASE_PATH = "/rest/access-tokens";

const FUNCTIONS = ["authenticate", "resolveUser", "resolveProject", "resolveRepository"] as const;
const OPTIONAL_FUNCTIONS = ["describeUser", "onError"] as const;
const KNOWN = new Set<string>(["tokens", "basePath", ...FUNCTIONS, ...OPTIONAL_FUNCTIONS]);
const TOKEN_CALLS = [
  "create",
  "get",
  "list",
  "update",
  "revoke",
  "rotate",
  "getPolicy",
  "setPolicy",
] as const;
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

/** Checks the options (unknown keys included) and returns the base path to use. */
export function checkOptions(options: BitbucketApiOptions): string {
  const issues: { path: string[]; message: string }[] = [];
  if (typeof options !== "object" || options === null) {
    throw new ValidationError([{ path: ["options"], message: "Expected an object" }]);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) issues.push({ path: [key], message: "Unknown option" });
  }
  const tokens = options.tokens as unknown as Record<string, unknown> | undefined;
  if (typeof tokens !== "object" || tokens === null) {
    issues.push({ path: ["tokens"], message: "Expected the result of createAccessTokens" });
  } else {
    for (const call of TOKEN_CALLS) {
      if (typeof tokens[call] !== "function")
        issues.push({ path: ["tokens", call], message: "Expected a function" });
    }
  }
  for (const name of FUNCTIONS) {
    if (typeof options[name] !== "function")
      issues.push({ path: [name], message: "Expected a function" });
  }
  for (const name of OPTIONAL_FUNCTIONS) {
    if (options[name] !== undefined && typeof options[name] !== "function")
      issues.push({ path: [name], message: "Expected a function" });
  }
  const basePath = options.basePath ?? DEFAULT_BASE_PATH;
  if (typeof basePath !== "string" || !BASE_PATH.test(basePath) || basePath.length > 200) {
    issues.push({
      path: ["basePath"],
      message: 'Expected a path such as "/rest/access-tokens" (or "" for the root), no trailing /',
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return basePath;
}
