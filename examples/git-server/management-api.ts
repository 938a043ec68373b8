import type { IncomingMessage, ServerResponse } from "node:http";
import { type AccessTokens, type Actor, NotFoundError, type Owner, type TokenView } from "patkit";
import type { HttpAuthOptions } from "patkit/http";
import { ownerKey } from "patkit/store";
import type { DemoHost } from "./demo-host.js";
import { readJsonObject, sendError, sendFailure, sendJson } from "./json.js";
import { managementActor } from "./sessions.js";

/** Where the token management API lives, in the spirit of Bitbucket's REST API. */
export const MANAGEMENT_PREFIX = "/rest/access-tokens/1.0";

/** What the management API needs from the server. */
export interface ManagementContext {
  readonly tokens: AccessTokens;
  readonly host: DemoHost;
  readonly auth: HttpAuthOptions<IncomingMessage>;
  readonly log: (line: string) => void;
}

type Route =
  | { readonly kind: "policy" }
  | { readonly kind: "all-tokens" }
  | { readonly kind: "collection"; readonly owner: Owner }
  | { readonly kind: "token"; readonly owner: Owner; readonly id: string };

/**
 * The token management API (JSON):
 * - `GET|PUT  /rest/access-tokens/1.0/users/{username}`: list (paged), create a personal token;
 * - `GET|PUT  /rest/access-tokens/1.0/projects/{KEY}`: the same for project tokens;
 * - `GET|PUT  /rest/access-tokens/1.0/projects/{KEY}/repos/{slug}`: for repository tokens;
 * - `GET|POST|DELETE .../{tokenId}` below each: read, update (name, permissions, a first
 *   expiry), revoke;
 * - `GET /rest/access-tokens/1.0/tokens`: every token (system admins);
 * - `GET|PUT /rest/access-tokens/1.0/policy`: the global policy (system admins change it).
 * Lists take `?limit=` and `?cursor=` and answer `{ values, size, limit, isLastPage, nextCursor }`.
 * Errors are `{ error: { code, message, fields? } }` with patkit's error code.
 */
export async function handleManagement(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  context: ManagementContext,
): Promise<void> {
  // Sign-in first: callers who are not signed in learn nothing, not even which users exist.
  const actor = await managementActor(request, response, context);
  if (actor === null) {
    request.resume();
    return;
  }
  const route = routeOf(url.pathname.slice(MANAGEMENT_PREFIX.length), context.host);
  if (route === null) {
    request.resume();
    sendError(response, 404, "NOT_FOUND", "No such resource");
    return;
  }
  try {
    await dispatch(route, request, response, url, actor, context.tokens);
  } catch (error) {
    sendFailure(response, error, context.log);
  }
}

async function dispatch(
  route: Route,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  actor: Actor,
  tokens: AccessTokens,
): Promise<void> {
  const method = request.method ?? "GET";
  switch (route.kind) {
    case "policy":
      if (method === "GET") return sendJson(response, 200, await tokens.getPolicy());
      if (method === "PUT") {
        const body = await readJsonObject(request);
        return sendJson(response, 200, await tokens.setPolicy(body as never, actor));
      }
      return notAllowed(request, response, "GET, PUT");
    case "all-tokens":
      if (method === "GET") return sendPage(response, url, actor, tokens, undefined);
      return notAllowed(request, response, "GET");
    case "collection":
      if (method === "GET") return sendPage(response, url, actor, tokens, route.owner);
      if (method === "PUT" || method === "POST") {
        const body = await readJsonObject(request);
        const created = await tokens.create({ ...body, owner: route.owner } as never, actor);
        // The secret is non-enumerable on purpose; this is the one place it is shown.
        return sendJson(response, 201, { ...created.token, secret: created.secret });
      }
      return notAllowed(request, response, "GET, PUT, POST");
    case "token": {
      if (method === "GET") {
        return sendJson(response, 200, await ownedToken(route, actor, tokens));
      }
      if (method === "POST" || method === "PUT") {
        const body = await readJsonObject(request);
        await ownedToken(route, actor, tokens);
        const input =
          typeof body.expiresAt === "string"
            ? { ...body, expiresAt: new Date(body.expiresAt) }
            : body;
        return sendJson(response, 200, await tokens.update(route.id, input as never, actor));
      }
      if (method === "DELETE") {
        await ownedToken(route, actor, tokens);
        return sendJson(response, 200, await tokens.revoke(route.id, actor));
      }
      return notAllowed(request, response, "GET, POST, PUT, DELETE");
    }
  }
}

async function sendPage(
  response: ServerResponse,
  url: URL,
  actor: Actor,
  tokens: AccessTokens,
  owner: Owner | undefined,
): Promise<void> {
  const limitText = url.searchParams.get("limit");
  const limit = limitText === null ? undefined : Number(limitText);
  const cursor = url.searchParams.get("cursor");
  const page = await tokens.list(
    { ...(owner ? { owner } : {}), ...(limit === undefined ? {} : { limit }), cursor },
    actor,
  );
  sendJson(response, 200, {
    values: page.items,
    size: page.items.length,
    limit: limit ?? 25,
    isLastPage: page.nextCursor === null,
    nextCursor: page.nextCursor,
  });
}

/** The token, when it belongs to the owner the URL names; otherwise the same 404 as a missing one. */
async function ownedToken(
  route: Extract<Route, { kind: "token" }>,
  actor: Actor,
  tokens: AccessTokens,
): Promise<TokenView> {
  const token = await tokens.get(route.id, actor);
  if (ownerKey(token.owner) !== ownerKey(route.owner)) {
    throw new NotFoundError("No token has this id");
  }
  return token;
}

function notAllowed(request: IncomingMessage, response: ServerResponse, allow: string): void {
  request.resume();
  response.setHeader("Allow", allow);
  sendError(response, 405, "METHOD_NOT_ALLOWED", `Use ${allow}`);
}

function routeOf(path: string, host: DemoHost): Route | null {
  const segments = path
    .split("/")
    .filter((segment) => segment !== "")
    .map(safeDecode);
  if (segments.some((segment) => segment === null)) return null;
  const [first, ...rest] = segments as string[];
  if (first === "policy" && rest.length === 0) return { kind: "policy" };
  if (first === "tokens" && rest.length === 0) return { kind: "all-tokens" };
  if (first === "users" && (rest.length === 1 || rest.length === 2)) {
    const user = host.userByName(rest[0] ?? "");
    if (!user) return null;
    return withId({ kind: "user", userId: user.id }, rest[1]);
  }
  if (first === "projects" && rest.length >= 1) {
    const project = host.projectByKey(rest[0] ?? "");
    if (!project) return null;
    if (rest.length <= 2) return withId({ kind: "project", projectId: project.id }, rest[1]);
    if (rest[1] !== "repos" || rest.length > 4) return null;
    const repository = host.repositoryBySlug(project.id, rest[2] ?? "");
    if (!repository) return null;
    return withId(
      { kind: "repository", projectId: project.id, repositoryId: repository.id },
      rest[3],
    );
  }
  return null;
}

function withId(owner: Owner, id: string | undefined): Route {
  return id === undefined ? { kind: "collection", owner } : { kind: "token", owner, id };
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
