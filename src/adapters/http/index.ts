/**
 * `patkit/http`: access tokens in HTTP servers. Authorization-header parsing, RFC 6750 refusals,
 * helpers for the Web Fetch `Request` (Hono, Bun, Deno, Next.js), Node's `http` module, Express
 * and Fastify, the mapping of Git smart-HTTP requests to requirements, and GitHub's
 * secret-scanning partner endpoint.
 *
 * Frameworks are optional peers: this module imports none of them and only describes the few
 * members of their requests and responses it uses.
 *
 * @packageDocumentation
 * @module patkit/http
 */
export {
  type AuthorizationCredential,
  type AuthorizationProblem,
  type BasicCredential,
  type BearerCredential,
  MAX_AUTHORIZATION_LENGTH,
  type ParsedAuthorization,
  parseAuthorization,
} from "../../index.js";
export { type BearerErrorCode, DEFAULT_REALM } from "./challenges.js";
export {
  createExpressMiddleware,
  type ExpressMiddlewareOptions,
  type ExpressRequestLike,
  type ExpressResponseLike,
} from "./express.js";
export {
  createFastifyHook,
  type FastifyHookOptions,
  type FastifyReplyLike,
  type FastifyRequestLike,
  type NotInferred,
} from "./fastify.js";
export {
  authenticateRequest,
  type FetchAuthResult,
  type FetchRejection,
  rejectionResponse,
} from "./fetch.js";
export {
  type GitRepositoryRef,
  type GitRequest,
  type GitService,
  gitRequirement,
  parseGitRequest,
  type ResolveRepository,
} from "./git-requirement.js";
export {
  authenticateHeader,
  type HttpAuthOptions,
  type HttpAuthResult,
  type HttpAuthSuccess,
  type PatkitAuth,
  type RequirementSource,
  type TokenAuthenticator,
} from "./header-authentication.js";
export {
  authenticateNodeRequest,
  type NodeRequestLike,
  type NodeResponseLike,
  writeRejection,
} from "./node.js";
export type {
  HttpRejection,
  RejectionBody,
  RejectionCode,
  RejectionReason,
} from "./rejections.js";
export {
  type PermissionSource,
  type ResolveRequestRepository,
  repositoryRequirement,
} from "./repository-requirement.js";
export {
  createSecretScanningHandler,
  type SecretScanningHandlerOptions,
  type SecretScanningPublicKey,
} from "./secret-scanning.js";
