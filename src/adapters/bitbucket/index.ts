/**
 * `patkit/bitbucket`: Bitbucket Data Center's REST API for HTTP access tokens
 * (`/rest/access-tokens/latest/users/{userSlug}`, `/projects/{projectKey}`,
 * `/projects/{projectKey}/repos/{repositorySlug}`, each with `/{tokenId}`) as one mountable
 * Fetch handler, so clients and scripts written for Bitbucket work against a patkit host.
 * Mount it in node:http or Express with {@link toNodeListener}, in Hono or any Fetch runtime
 * as it is; see docs/bitbucket.md for Fastify and the mapping.
 *
 * @packageDocumentation
 * @module patkit/bitbucket
 */
export { MAX_BODY_BYTES } from "./body.js";
export { type BitbucketErrorBody, type BitbucketErrorMessage, EXCEPTION_NAMES } from "./errors.js";
export { type BitbucketApiHandler, createBitbucketApi } from "./handler.js";
export type {
  BitbucketAccessToken,
  BitbucketPage,
  BitbucketRawAccessToken,
  BitbucketRotatedAccessToken,
} from "./json.js";
export { type NodeListenerRequest, type NodeListenerResponse, toNodeListener } from "./node.js";
export {
  type BitbucketApiOptions,
  type BitbucketApiTokens,
  DEFAULT_BASE_PATH,
  type ResolvedRepository,
} from "./options.js";
export { DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE_PARAMETER } from "./paging.js";
