import {
  authenticateWith,
  type HttpAuthOptions,
  type PatkitAuth,
  patkitAuthOf,
  prepareOptions,
  type RequestAddressing,
  type RequirementSource,
  resolveRequirement,
  type TokenAuthenticator,
} from "./header-authentication.js";
import {
  type NodeRequestLike,
  type NodeResponseLike,
  nodeAddressing,
  writeRejection,
} from "./node.js";

/** The slice of an Express request the middleware uses; it sets `patkit` on success. */
export interface ExpressRequestLike extends NodeRequestLike {
  patkit?: PatkitAuth;
  /** Express's client address: the peer's, unless the app's `trust proxy` setting says otherwise. */
  readonly ip?: string | undefined;
}

const expressAddressing: RequestAddressing<ExpressRequestLike> = {
  peer: (request) => request.ip ?? request.socket?.remoteAddress,
  header: nodeAddressing.header,
};

/** The slice of an Express response the middleware uses. */
export interface ExpressResponseLike extends NodeResponseLike {
  locals?: Record<string, unknown>;
}

/** Options of {@link createExpressMiddleware}. */
export interface ExpressMiddlewareOptions<Req extends ExpressRequestLike = ExpressRequestLike>
  extends HttpAuthOptions<Req> {
  /** What each request needs; a function of the request (e.g. of `req.params`), or `null` for any valid token. */
  readonly requirement?: RequirementSource<Req>;
}

/**
 * An Express (4 or 5) middleware that authenticates each request with an access token. On
 * success it sets `req.patkit` and `res.locals.patkit` to `{ principal, token, scheme, actor }` and calls
 * `next()`; otherwise it answers 401/403/400/503 itself. Other errors go to `next(error)`.
 *
 * ```ts
 * app.get("/projects/:projectId/data", createExpressMiddleware(tokens, {
 *   requirement: (req) => ({ permission: "PROJECT_READ", projectId: req.params.projectId }),
 * }), handler);
 * ```
 */
export function createExpressMiddleware<Req extends ExpressRequestLike = ExpressRequestLike>(
  tokens: TokenAuthenticator,
  options: ExpressMiddlewareOptions<Req> = {},
): (request: Req, response: ExpressResponseLike, next: (error?: unknown) => void) => void {
  const prepared = prepareOptions<Req>(options, expressAddressing);
  const requirement = options.requirement;
  return (request, response, next) => {
    const run = async () => {
      const required = await resolveRequirement(requirement, request);
      const header = request.headers.authorization;
      const result = await authenticateWith(tokens, header, required, prepared, request);
      if (!result.ok) return writeRejection(response, result);
      const auth = patkitAuthOf(result);
      request.patkit = auth;
      if (response.locals) response.locals.patkit = auth;
      next();
    };
    run().then(undefined, next);
  };
}
