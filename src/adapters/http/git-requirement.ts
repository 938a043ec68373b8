import type { Awaitable, Requirement } from "../../index.js";

/** The Git smart-HTTP services. */
export type GitService = "git-upload-pack" | "git-receive-pack";

/** A request of the Git HTTP protocol, as {@link parseGitRequest} reads it. */
export interface GitRequest {
  /**
   * The repository part of the path, percent-decoded, with its leading slash: for
   * `/scm/prj/alpha.git/info/refs?service=git-upload-pack`, `/scm/prj/alpha.git`.
   * Never empty, and free of `.`/`..` segments, empty segments, backslashes and NUL.
   */
  readonly repositoryPath: string;
  /** The Git part of the path, as `git http-backend` expects it after the repository: `/info/refs`. */
  readonly gitPath: string;
  /** The smart-HTTP service, or `null` for the dumb protocol (plain file reads). */
  readonly service: GitService | null;
  /** Fetching (clone, fetch, pull, ls-remote) reads; pushing writes. */
  readonly access: "read" | "write";
  /** The permission the request needs: `REPO_READ` to fetch, `REPO_WRITE` to push. */
  readonly permission: "REPO_READ" | "REPO_WRITE";
}

/** The project and repository a repository path names, in the host's ids. */
export interface GitRepositoryRef {
  readonly projectId: string;
  readonly repositoryId: string;
}

/** The host's lookup from a repository path to its ids; `null` when no repository lives there. */
export type ResolveRepository = (
  repositoryPath: string,
  request: GitRequest,
) => Awaitable<GitRepositoryRef | null | undefined>;

const HEX_OBJECT = /^\/objects\/[0-9a-f]{2}\/(?:[0-9a-f]{38}|[0-9a-f]{62})$/;
const PACK_FILE = /^\/objects\/pack\/pack-(?:[0-9a-f]{40}|[0-9a-f]{64})\.(?:pack|idx)$/;
const DUMB_FILES = new Set([
  "/HEAD",
  "/objects/info/alternates",
  "/objects/info/http-alternates",
  "/objects/info/packs",
]);

/**
 * Reads a request of the Git HTTP protocol, the way `git http-backend` routes them:
 * - `GET <repo>/info/refs?service=git-upload-pack` and `POST <repo>/git-upload-pack`: fetch, `REPO_READ`;
 * - `GET <repo>/info/refs?service=git-receive-pack` and `POST <repo>/git-receive-pack`: push, `REPO_WRITE`;
 * - the dumb protocol's reads (`GET <repo>/info/refs` without a service, `<repo>/HEAD`,
 *   `<repo>/objects/...`): `REPO_READ`.
 *
 * `HEAD` is treated as `GET`. Anything else (another method, an unknown service, a path that
 * is not Git's, a repository path with `..`) is `null`. `url` is a path with its query
 * (`req.url` in Node), an absolute URL, or a `URL`. Total: it never throws. Both take
 * `undefined` (Node types `req.method` and `req.url` so), which is `null` too.
 */
export function parseGitRequest(
  method: string | undefined,
  url: string | URL | undefined,
): GitRequest | null {
  const parsed = toUrl(url);
  if (parsed === null || typeof method !== "string") return null;
  const verb = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  const path = parsed.pathname;
  if (verb === "POST") {
    for (const service of ["git-upload-pack", "git-receive-pack"] as const) {
      if (path.endsWith(`/${service}`)) return request(path, `/${service}`, service);
    }
    return null;
  }
  if (verb !== "GET") return null;
  if (path.endsWith("/info/refs")) {
    const services = parsed.searchParams.getAll("service");
    if (services.length === 0) return request(path, "/info/refs", null);
    const service = services[0];
    if (services.length > 1 || (service !== "git-upload-pack" && service !== "git-receive-pack"))
      return null;
    return request(path, "/info/refs", service);
  }
  const gitPath = dumbFileOf(path);
  return gitPath === null ? null : request(path, gitPath, null);
}

/**
 * The {@link Requirement} of a Git HTTP request: `REPO_READ` to fetch, `REPO_WRITE` to push, on
 * the repository that `resolveRepository` finds for its path. `null` when the request is not
 * one of Git's (see {@link parseGitRequest}) or no repository lives at that path.
 *
 * Answers synchronously when `resolveRepository` does, with a promise when it returns one.
 *
 * ```ts
 * const requirement = await gitRequirement(req.method, req.url, (path) => repositories.get(path));
 * ```
 */
export function gitRequirement(
  method: string | undefined,
  url: string | URL | undefined,
  resolveRepository: (
    repositoryPath: string,
    request: GitRequest,
  ) => GitRepositoryRef | null | undefined,
): Requirement | null;
export function gitRequirement(
  method: string | undefined,
  url: string | URL | undefined,
  resolveRepository: ResolveRepository,
): Awaitable<Requirement | null>;
export function gitRequirement(
  method: string | undefined,
  url: string | URL | undefined,
  resolveRepository: ResolveRepository,
): Awaitable<Requirement | null> {
  const git = parseGitRequest(method, url);
  if (git === null) return null;
  const found = resolveRepository(git.repositoryPath, git);
  if (isPromiseLike(found)) return Promise.resolve(found).then((ref) => toRequirement(git, ref));
  return toRequirement(git, found);
}

function toRequirement(
  git: GitRequest,
  ref: GitRepositoryRef | null | undefined,
): Requirement | null {
  if (ref == null) return null;
  return { permission: git.permission, projectId: ref.projectId, repositoryId: ref.repositoryId };
}

function request(path: string, gitPath: string, service: GitService | null): GitRequest | null {
  const repositoryPath = decodeRepositoryPath(path.slice(0, path.length - gitPath.length));
  if (repositoryPath === null) return null;
  const access = service === "git-receive-pack" ? "write" : "read";
  return {
    repositoryPath,
    gitPath,
    service,
    access,
    permission: access === "write" ? "REPO_WRITE" : "REPO_READ",
  };
}

function dumbFileOf(path: string): string | null {
  for (const file of DUMB_FILES) if (path.endsWith(file)) return file;
  const objects = path.lastIndexOf("/objects/");
  if (objects < 0) return null;
  const tail = path.slice(objects);
  return HEX_OBJECT.test(tail) || PACK_FILE.test(tail) ? tail : null;
}

// Decoded segment by segment: an encoded slash or dot-segment must not smuggle in another path.
function decodeRepositoryPath(raw: string): string | null {
  if (!raw.startsWith("/") || raw.length < 2) return null;
  const decoded: string[] = [];
  for (const segment of raw.slice(1).split("/")) {
    let text: string;
    try {
      text = decodeURIComponent(segment);
    } catch {
      return null;
    }
    if (text === "" || text === "." || text === "..") return null;
    if (text.includes("/") || text.includes("\\") || text.includes("\0")) return null;
    decoded.push(text);
  }
  return `/${decoded.join("/")}`;
}

function toUrl(url: unknown): URL | null {
  if (url instanceof URL) return url;
  if (typeof url !== "string" || url.length === 0) return null;
  try {
    // A path (Node's req.url) is read against a placeholder origin; only path and query matter.
    return url.startsWith("/") && !url.startsWith("//")
      ? new URL(url, "http://git.invalid")
      : new URL(url);
  } catch {
    return null;
  }
}

function isPromiseLike<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as PromiseLike<T> | null)?.then === "function";
}
