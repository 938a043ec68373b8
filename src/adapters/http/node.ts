import {
  authenticateWith,
  type HttpAuthOptions,
  type HttpAuthResult,
  preparedPerOptions,
  type RequestAddressing,
  type RequirementSource,
  resolveRequirement,
  type TokenAuthenticator,
} from "./header-authentication.js";
import { groupedHeaders, type HttpRejection } from "./rejections.js";

/** The slice of Node's `http.IncomingMessage` the helpers read (Express and Fastify requests fit). */
export interface NodeRequestLike {
  readonly headers: { readonly [name: string]: string | string[] | undefined };
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** The connection: its `remoteAddress` is the client's address by default (`clientIp`). */
  readonly socket?: { readonly remoteAddress?: string | undefined } | null | undefined;
}

/** The peer address and headers of a Node request, for the `clientIp` option. */
export const nodeAddressing: RequestAddressing<NodeRequestLike> = {
  peer: (request) => request.socket?.remoteAddress,
  header: (request, name) => request.headers[name],
};

const prepare = preparedPerOptions(nodeAddressing);

/** The slice of Node's `http.ServerResponse` the helpers write (Express responses fit). */
export interface NodeResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  /** Sets one response header. */
  setHeader(name: string, value: string | readonly string[]): unknown;
  /** Ends the response, with an optional body. */
  end(chunk?: string): unknown;
}

/**
 * Authenticates a Node `http.IncomingMessage` and, when it is refused, writes the refusal to
 * `response` (status, RFC 6750 challenges, JSON body) unless headers were already sent.
 *
 * ```ts
 * const auth = await authenticateNodeRequest(tokens, req, res, requirement);
 * if (!auth.ok) return; // answered already
 * ```
 */
export async function authenticateNodeRequest<R extends NodeRequestLike>(
  tokens: TokenAuthenticator,
  request: R,
  response: NodeResponseLike,
  requirement?: RequirementSource<R>,
  options?: HttpAuthOptions<R>,
): Promise<HttpAuthResult> {
  const prepared = prepare(options as HttpAuthOptions<NodeRequestLike> | undefined);
  const required = await resolveRequirement(requirement, request);
  const result = await authenticateWith(
    tokens,
    request.headers.authorization,
    required,
    prepared,
    request,
  );
  if (!result.ok) writeRejection(response, result);
  return result;
}

/** Writes a refusal to a Node response (no-op when the headers are already sent). */
export function writeRejection(response: NodeResponseLike, rejection: HttpRejection): void {
  if (response.headersSent) return;
  response.statusCode = rejection.status;
  for (const [name, value] of Object.entries(groupedHeaders(rejection))) {
    response.setHeader(name, value);
  }
  response.end(JSON.stringify(rejection.body));
}
