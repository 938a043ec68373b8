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
import { groupedHeaders } from "./rejections.js";

/** The slice of a Fastify request the hook uses; it sets `patkit` on success. */
export interface FastifyRequestLike {
  readonly headers: { readonly [name: string]: string | string[] | undefined };
  patkit?: PatkitAuth;
  /** Fastify's client address: the peer's, unless the server's `trustProxy` says otherwise. */
  readonly ip?: string | undefined;
}

const fastifyAddressing: RequestAddressing<FastifyRequestLike> = {
  peer: (request) => request.ip,
  header: (request, name) => request.headers[name],
};

/** The slice of a Fastify reply the hook uses. */
export interface FastifyReplyLike {
  /** Sets the status code. */
  code(statusCode: number): FastifyReplyLike;
  /** Sets one response header. */
  header(name: string, value: string | readonly string[]): FastifyReplyLike;
  /** Sends the reply, with an optional payload. */
  send(payload?: unknown): FastifyReplyLike;
}

/**
 * `T`, but never inferred from where it is used (TypeScript's `NoInfer`, which older compilers
 * lack): the hook's request type comes from its options, not from Fastify's route options, which
 * would infer `never`.
 */
export type NotInferred<T> = [T][T extends unknown ? 0 : never];

/** Options of {@link createFastifyHook}. */
export interface FastifyHookOptions<Req extends FastifyRequestLike = FastifyRequestLike>
  extends HttpAuthOptions<Req> {
  /** What each request needs; a function of the request (e.g. of `request.params`), or `null` for any valid token. */
  readonly requirement?: RequirementSource<Req>;
}

/**
 * A Fastify (4 or 5) `onRequest` or `preHandler` hook that authenticates each request with an
 * access token. On success it sets `request.patkit` to `{ principal, token, scheme, actor }`; otherwise
 * it sends the 401/403/400/503 refusal and ends the request there. `onRequest` runs before the
 * body is read (the cheapest place); use `preHandler` when the requirement needs the parsed body.
 *
 * ```ts
 * app.decorateRequest("patkit", null);
 * app.addHook("onRequest", createFastifyHook(tokens, { requirement: null }));
 * ```
 */
export function createFastifyHook<Req extends FastifyRequestLike = FastifyRequestLike>(
  tokens: TokenAuthenticator,
  options: FastifyHookOptions<Req> = {},
): (request: NotInferred<Req>, reply: FastifyReplyLike) => Promise<FastifyReplyLike | undefined> {
  const prepared = prepareOptions<Req>(options, fastifyAddressing);
  const requirement = options.requirement;
  return async (request: Req, reply) => {
    const required = await resolveRequirement(requirement, request);
    const header = request.headers.authorization;
    const result = await authenticateWith(tokens, header, required, prepared, request);
    if (result.ok) {
      request.patkit = patkitAuthOf(result);
      return undefined;
    }
    reply.code(result.status);
    for (const [name, value] of Object.entries(groupedHeaders(result))) reply.header(name, value);
    // Returning the reply tells Fastify the hook answered: the route handler does not run.
    return reply.send(result.body);
  };
}
