import {
  type Actor,
  ForbiddenError,
  NotFoundError,
  type Owner,
  type TokenView,
  ValidationError,
} from "../../index.js";
import { readJsonObject } from "./body.js";
import { EXCEPTION_NAMES, errorResponse, patkitErrorResponse, unauthorized } from "./errors.js";
import {
  type BitbucketAccessToken,
  type BitbucketPage,
  type BitbucketRotatedAccessToken,
  jsonResponse,
  tokenJson,
} from "./json.js";
import { type BitbucketApiOptions, checkOptions } from "./options.js";
import { pagingOf } from "./paging.js";
import { ALLOWED_METHODS, type OwnerPath, type Route, routeOf, sameOwner } from "./routes.js";

/**
 * A Fetch handler: the `Response` to a request of this API, or `null` when the path is not one
 * of its own (so the host routes it elsewhere).
 */
export type BitbucketApiHandler = (request: Request) => Promise<Response | null>;

/** The fields of Bitbucket's token request (`RestAccessTokenRequest`). */
const TOKEN_REQUEST_FIELDS = ["name", "permissions", "expiryDays"] as const;

/** The fields of the rotate extension's request (see `RotateTokenInput`). */
const ROTATE_REQUEST_FIELDS = ["expiryDays", "graceSeconds"] as const;

/**
 * Bitbucket Data Center's REST API for HTTP access tokens, as one Fetch handler: personal,
 * project and repository tokens under `{basePath}/1.0/` and `{basePath}/latest/`, answered as
 * Bitbucket answers them, so existing Bitbucket clients and scripts work unchanged. patkit's own
 * extensions live apart, under `{basePath}/patkit/`: the policy (`/patkit/policy`, changed by
 * system admins) and rotation (`POST /patkit/users/{userSlug}/{tokenId}/rotate` and the project
 * and repository forms).
 *
 * ```ts
 * const handle = createBitbucketApi({
 *   tokens,
 *   authenticate: (request) => sessionActor(request), // the host's sign-in, or null
 *   resolveUser: (slug) => users.idOf(slug),
 *   resolveProject: (key) => projects.idOf(key),
 *   resolveRepository: (key, slug) => repositories.idsOf(key, slug),
 * });
 * const response = (await handle(request)) ?? notFound();
 * ```
 *
 * The host keeps its users, projects and repositories: keys and slugs go through its resolvers.
 * Errors are `{ errors: [{ context, message, exceptionName }] }` with Bitbucket's statuses (401
 * for "not signed in" and "not permitted" alike); nothing answers with a stack trace, a hash, or
 * a secret other than the new token's in the create answer. See docs/bitbucket.md.
 */
export function createBitbucketApi(options: BitbucketApiOptions): BitbucketApiHandler {
  const basePath = checkOptions(options);
  const { tokens } = options;

  async function answer(route: Route, request: Request, url: URL): Promise<Response> {
    if (route.kind === "unknown") {
      return errorResponse(404, "No such resource", EXCEPTION_NAMES.noSuchResource);
    }
    const allowed = ALLOWED_METHODS[route.kind];
    if (!allowed.split(", ").includes(request.method)) {
      return errorResponse(405, `Use ${allowed}`, EXCEPTION_NAMES.methodNotAllowed, {
        headers: { allow: allowed },
      });
    }
    // Sign-in first: who is not signed in learns nothing, not even which users exist.
    const actor = await options.authenticate(request);
    if (actor === null) return unauthorized("Authentication is required to manage access tokens");
    if (actor.via === "token") {
      return unauthorized("Access tokens cannot be used to manage access tokens; sign in");
    }
    if (route.kind === "policy") return policy(request, actor);
    const owner = await resolveOwner(route.path);
    if (owner instanceof Response) return owner;
    if (route.kind === "rotate") return rotate(request, owner, route.tokenId, actor);
    if (route.kind === "collection") {
      return request.method === "GET" ? list(url, owner, actor) : create(request, owner, actor);
    }
    if (request.method === "POST") return update(request, owner, route.tokenId, actor);
    const token = await ownedToken(owner, route.tokenId, actor);
    if (token instanceof Response) return token;
    if (request.method === "GET") return jsonResponse(await describe([token]).then(([t]) => t));
    await tokens.revoke(token.id, actor);
    return new Response(null, { status: 204 });
  }

  async function list(url: URL, owner: Owner, actor: Actor): Promise<Response> {
    const paging = pagingOf(url);
    if (paging instanceof Response) return paging;
    const { start, limit } = paging;
    // Offset paging in the store (no earlier token is read); deleted tokens are gone here.
    const page = await tokens.list({ owner, offset: start, limit, includeRevoked: false }, actor);
    const values = await describe(page.items);
    const isLastPage = page.nextCursor === null;
    const body: BitbucketPage<BitbucketAccessToken> = {
      size: values.length,
      limit,
      isLastPage,
      start,
      ...(!isLastPage && { nextPageStart: start + values.length }),
      values,
    };
    return jsonResponse(body);
  }

  async function create(request: Request, owner: Owner, actor: Actor): Promise<Response> {
    const body = await readJsonObject(request, TOKEN_REQUEST_FIELDS, false);
    if (!body.ok) return body.response;
    const { name, permissions, expiryDays } = body.value;
    const created = await tokens.create(
      { owner, name, permissions, expiryDays } as Parameters<typeof tokens.create>[0],
      actor,
    );
    const [json] = await describe([created.token]);
    // The one answer that carries the secret (non-enumerable on `created` for that reason).
    return jsonResponse({ ...json, token: created.secret });
  }

  async function update(
    request: Request,
    owner: Owner,
    tokenId: string,
    actor: Actor,
  ): Promise<Response> {
    const body = await readJsonObject(request, TOKEN_REQUEST_FIELDS, true);
    if (!body.ok) return body.response;
    const token = await ownedToken(owner, tokenId, actor);
    if (token instanceof Response) return token;
    const changes = Object.fromEntries(
      Object.entries(body.value).filter(([, value]) => value !== undefined),
    );
    // Fields left out are not changed; with none given, the token is answered as it is.
    const updated =
      Object.keys(changes).length === 0
        ? token
        : await tokens.update(token.id, changes as Parameters<typeof tokens.update>[1], actor);
    return jsonResponse((await describe([updated]))[0]);
  }

  async function rotate(
    request: Request,
    owner: Owner,
    tokenId: string,
    actor: Actor,
  ): Promise<Response> {
    // patkit's extension: Bitbucket has no rotation. tokens.rotate decides who may (whoever may
    // create the token: 401 otherwise) and refuses a token already rotated (ConflictError: 409).
    const body = await readJsonObject(request, ROTATE_REQUEST_FIELDS, true);
    if (!body.ok) return body.response;
    const token = await ownedToken(owner, tokenId, actor);
    if (token instanceof Response) return token;
    const rotated = await tokens.rotate(
      token.id,
      body.value as Parameters<typeof tokens.rotate>[1],
      actor,
    );
    const [json, previous] = (await describe([rotated.token, rotated.previous])) as [
      BitbucketAccessToken,
      BitbucketAccessToken,
    ];
    const answer: BitbucketRotatedAccessToken = {
      ...json,
      token: rotated.secret,
      previous: { ...previous, revokedDate: (rotated.previous.revokedAt as Date).getTime() },
    };
    return jsonResponse(answer);
  }

  async function policy(request: Request, actor: Actor): Promise<Response> {
    // patkit's extension. Any signed-in user reads the policy (it bounds the tokens they may
    // create); system admins change it (tokens.setPolicy checks, answered 401 otherwise).
    if (request.method === "GET") return jsonResponse(await tokens.getPolicy());
    const body = await readJsonObject(request, null, false);
    if (!body.ok) return body.response;
    return jsonResponse(
      await tokens.setPolicy(
        body.value as unknown as Parameters<typeof tokens.setPolicy>[0],
        actor,
      ),
    );
  }

  async function resolveOwner(path: OwnerPath): Promise<Owner | Response> {
    switch (path.kind) {
      case "user": {
        const userId = await options.resolveUser(path.userSlug);
        if (userId === null) return errorResponse(404, "No such user", EXCEPTION_NAMES.noSuchUser);
        return { kind: "user", userId };
      }
      case "project": {
        const projectId = await options.resolveProject(path.projectKey);
        if (projectId === null) {
          return errorResponse(404, "No such project", EXCEPTION_NAMES.noSuchProject);
        }
        return { kind: "project", projectId };
      }
      case "repository": {
        const found = await options.resolveRepository(path.projectKey, path.repositorySlug);
        if (found === null) {
          return errorResponse(404, "No such repository", EXCEPTION_NAMES.noSuchRepository);
        }
        return { kind: "repository", projectId: found.projectId, repositoryId: found.repositoryId };
      }
    }
  }

  /**
   * The live token `tokenId` of `owner`; otherwise 401 when the actor may not manage `owner`'s
   * tokens at all, and 404 when they may (a token of another owner, deleted or never created
   * is "not found" alike, so ids of other owners' tokens cannot be probed).
   */
  async function ownedToken(
    owner: Owner,
    tokenId: string,
    actor: Actor,
  ): Promise<TokenView | Response> {
    let token: TokenView | null = null;
    try {
      token = await tokens.get(tokenId, actor);
    } catch (error) {
      const unseen =
        error instanceof NotFoundError ||
        error instanceof ForbiddenError ||
        error instanceof ValidationError;
      if (!unseen) throw error;
    }
    // Revoked means revoked now: a rotated token in its grace period still works, so it is here.
    if (token !== null && token.status !== "revoked" && sameOwner(token.owner, owner)) return token;
    await tokens.list({ owner, limit: 1 }, actor); // ForbiddenError (401) when not permitted
    return errorResponse(404, "No such access token", EXCEPTION_NAMES.noSuchToken);
  }

  /** The JSON of each token, with the `user` of personal tokens (asked once per user). */
  async function describe(views: readonly TokenView[]): Promise<BitbucketAccessToken[]> {
    const users = new Map<string, Promise<object | null>>();
    const userOf = (view: TokenView): Promise<object | null> => {
      const { describeUser } = options;
      if (view.owner.kind !== "user" || describeUser === undefined) return Promise.resolve(null);
      const { userId } = view.owner;
      let user = users.get(userId);
      if (user === undefined) {
        user = Promise.resolve(describeUser(userId));
        users.set(userId, user);
      }
      return user;
    };
    return Promise.all(views.map(async (view) => tokenJson(view, await userOf(view))));
  }

  return async function handle(request: Request): Promise<Response | null> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return null;
    }
    const route = routeOf(url.pathname, basePath);
    if (route === null) return null;
    try {
      return await answer(route, request, url);
    } catch (error) {
      const known = patkitErrorResponse(error);
      if (known !== null) return known;
      try {
        options.onError?.(error);
      } catch {
        // A failing error hook changes nothing about the answer.
      }
      return errorResponse(500, "The server could not answer this request", EXCEPTION_NAMES.server);
    }
  };
}
