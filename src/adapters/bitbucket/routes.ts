import type { Owner } from "../../index.js";
import { ownerKey } from "../../store/index.js";

/** A path of Bitbucket's access-token API, before the host resolves its keys and slugs. */
export type OwnerPath =
  | { readonly kind: "user"; readonly userSlug: string }
  | { readonly kind: "project"; readonly projectKey: string }
  | { readonly kind: "repository"; readonly projectKey: string; readonly repositorySlug: string };

/** What a request addresses under the handler's base path. */
export type Route =
  /** `/{1.0|latest}/users/{userSlug}` and the like: list (GET) or create (PUT). */
  | { readonly kind: "collection"; readonly path: OwnerPath }
  /** `.../{tokenId}`: read (GET), update (POST), delete (DELETE). */
  | { readonly kind: "token"; readonly path: OwnerPath; readonly tokenId: string }
  /** patkit's extension, `/patkit/policy`: the global policy (GET, PUT). */
  | { readonly kind: "policy" }
  /**
   * patkit's extension, `/patkit/users/{userSlug}/{tokenId}/rotate` and the project and
   * repository forms: Bitbucket's token path under `/patkit/` (no version, like the policy),
   * plus `/rotate`. Rotates the token (POST). Never under Bitbucket's own paths.
   */
  | { readonly kind: "rotate"; readonly path: OwnerPath; readonly tokenId: string }
  /** Under a prefix this handler owns, but no resource: answered 404. */
  | { readonly kind: "unknown" };

/** The methods each kind of route answers (the `Allow` header of a 405). */
export const ALLOWED_METHODS: Readonly<Record<Exclude<Route["kind"], "unknown">, string>> = {
  collection: "GET, PUT",
  token: "GET, POST, DELETE",
  policy: "GET, PUT",
  rotate: "POST",
};

/** Longer keys, slugs or ids exist nowhere; they are answered 404 without asking the host. */
export const MAX_SEGMENT_LENGTH = 255;

// Control characters (NUL included), path separators and dot segments never name a user,
// project, repository or token; such a segment is "not found", not passed to the host.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNSAFE_SEGMENT = /[\u0000-\u001f\u007f/\\]/;

/**
 * The route of `pathname` (as sent, percent-encoded), or `null` when it is not under one of
 * the handler's prefixes: `{basePath}/1.0/`, `{basePath}/latest/` and `{basePath}/patkit/`
 * (patkit's extensions: `policy`, and `.../{tokenId}/rotate` under Bitbucket's token paths).
 */
export function routeOf(pathname: string, basePath: string): Route | null {
  if (!pathname.startsWith(`${basePath}/`)) return null;
  const raw = pathname.slice(basePath.length + 1).split("/");
  const prefix = raw[0];
  if (prefix !== "1.0" && prefix !== "latest" && prefix !== "patkit") return null;
  const segments = raw.slice(1).map(decodeSegment);
  if (segments.some((segment) => segment === null)) return { kind: "unknown" };
  const parts = segments as string[];
  if (prefix === "patkit") return extensionRoute(parts);
  return bitbucketRoute(parts);
}

/** The routes of patkit's extensions, under `{basePath}/patkit/`. */
function extensionRoute(parts: readonly string[]): Route {
  if (parts.length === 1 && parts[0] === "policy") return { kind: "policy" };
  if (parts.length < 2 || parts[parts.length - 1] !== "rotate") return { kind: "unknown" };
  const token = bitbucketRoute(parts.slice(0, -1));
  return token.kind === "token"
    ? { kind: "rotate", path: token.path, tokenId: token.tokenId }
    : { kind: "unknown" };
}

function bitbucketRoute(parts: readonly string[]): Route {
  const [first, second, third, fourth, fifth, ...rest] = parts;
  if (rest.length > 0 || second === undefined) return { kind: "unknown" };
  if (first === "users") {
    if (fourth !== undefined) return { kind: "unknown" };
    return withToken({ kind: "user", userSlug: second }, third);
  }
  if (first !== "projects") return { kind: "unknown" };
  if (third === "repos") {
    if (fourth === undefined) return { kind: "unknown" };
    return withToken({ kind: "repository", projectKey: second, repositorySlug: fourth }, fifth);
  }
  if (fourth !== undefined) return { kind: "unknown" };
  return withToken({ kind: "project", projectKey: second }, third);
}

function withToken(path: OwnerPath, tokenId: string | undefined): Route {
  return tokenId === undefined ? { kind: "collection", path } : { kind: "token", path, tokenId };
}

function decodeSegment(segment: string): string | null {
  if (segment.length === 0 || segment.length > MAX_SEGMENT_LENGTH * 3) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return null;
  }
  if (decoded.length > MAX_SEGMENT_LENGTH || decoded === "." || decoded.includes("..")) return null;
  return UNSAFE_SEGMENT.test(decoded) ? null : decoded;
}

/** Whether two owners are the same (the token's, and the one a path resolved to). */
export function sameOwner(a: Owner, b: Owner): boolean {
  return ownerKey(a) === ownerKey(b);
}
