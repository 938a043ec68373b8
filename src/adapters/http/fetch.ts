import {
  authenticateWith,
  type HttpAuthOptions,
  type HttpAuthSuccess,
  preparedPerOptions,
  type RequestAddressing,
  type RequirementSource,
  resolveRequirement,
  type TokenAuthenticator,
} from "./header-authentication.js";
import type { HttpRejection } from "./rejections.js";

// A Fetch Request carries no peer address: hosts pass one with `clientIp: (request) => ...`
// (Deno's `info.remoteAddr`, Bun's `server.requestIP(request)`) or name a trusted proxy header.
const fetchAddressing: RequestAddressing<Request> = {
  peer: () => undefined,
  header: (request, name) => request.headers.get(name),
};

const prepare = preparedPerOptions(fetchAddressing);

/** A refusal of a Fetch `Request`, with the `Response` to return as is. */
export interface FetchRejection extends HttpRejection {
  readonly response: Response;
}

/** The outcome of {@link authenticateRequest}. */
export type FetchAuthResult = HttpAuthSuccess | FetchRejection;

/**
 * Authenticates a Web Fetch `Request` (Hono's `c.req.raw`, Bun, Deno, Next.js route handlers,
 * Cloudflare Workers). On success you get the principal and the token; on failure, a ready
 * `Response` (401/403/400/503, RFC 6750 challenges, JSON body) to return unchanged.
 *
 * ```ts
 * const repository = await repositories.byId(repositoryId); // { projectId, repositoryId } from your records
 * const auth = await authenticateRequest(tokens, request, repository && { permission: "REPO_READ", ...repository });
 * if (!auth.ok) return auth.response;
 * if (!repository) return new Response(null, { status: 404 });
 * ```
 */
export async function authenticateRequest(
  tokens: TokenAuthenticator,
  request: Request,
  requirement?: RequirementSource<Request>,
  options?: HttpAuthOptions<Request>,
): Promise<FetchAuthResult> {
  const prepared = prepare(options);
  const header = request.headers.get("authorization");
  const required = await resolveRequirement(requirement, request);
  const result = await authenticateWith(tokens, header, required, prepared, request);
  if (result.ok) return result;
  return { ...result, response: rejectionResponse(result) };
}

/** The Fetch `Response` for a refusal. */
export function rejectionResponse(rejection: HttpRejection): Response {
  const headers = new Headers();
  for (const [name, value] of rejection.headers) headers.append(name, value);
  return new Response(JSON.stringify(rejection.body), { status: rejection.status, headers });
}
