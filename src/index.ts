/**
 * patkit: HTTP access tokens (personal, project, repository) for Git servers and REST APIs.
 *
 * @packageDocumentation
 * @module patkit
 */
export {
  type AccessTokens,
  type AccessTokensOptions,
  createAccessTokens,
} from "./core/access-tokens.js";
export {
  type AuthorizationCredential,
  type AuthorizationProblem,
  type BasicCredential,
  type BearerCredential,
  MAX_AUTHORIZATION_LENGTH,
  type ParsedAuthorization,
  parseAuthorization,
} from "./core/authorization-header.js";
export { type Clock, createManualClock, type ManualClock, systemClock } from "./core/clock.js";
export {
  ConflictError,
  ExpiryImmutableError,
  ForbiddenError,
  LimitExceededError,
  NotFoundError,
  PatkitError,
  type PatkitErrorCode,
  PolicyViolationError,
  StoreUnavailableError,
  ValidationError,
  type ValidationIssue,
} from "./core/errors.js";
export type {
  AccessTokenEvent,
  ErrorContext,
  ExpiryNoticeEvent,
  LeakReport,
  PolicyEvent,
  TokenEvent,
  TokenReusedEvent,
  TokenRotatedEvent,
  UserErasedEvent,
} from "./core/events.js";
export {
  DEFAULT_EXPIRY_NOTICE_DAYS,
  EXPIRED_NOTICE_WINDOW_MS,
  type ExpiryNoticeOptions,
} from "./core/expiry-notices.js";
export type { Pepper } from "./core/hashing.js";
export type { HostAccess } from "./core/host-access.js";
export type { LeakedTokensResult, LeakReportInput } from "./core/leaked-tokens.js";
export {
  MAINTENANCE_BATCH_SIZE,
  type MaintenanceInput,
  type MaintenanceResult,
} from "./core/maintenance.js";
export type {
  CreatedToken,
  CreateTokenInput,
  ListTokensInput,
  PolicyInput,
  TokenPage,
  UpdateTokenInput,
} from "./core/management.js";
export {
  isPermission,
  PERMISSIONS,
  PROJECT_PERMISSIONS,
  REPOSITORY_PERMISSIONS,
} from "./core/permissions.js";
export { DAY_MS, DEFAULT_POLICY, isCompliant } from "./core/policy.js";
export type {
  RateLimitOption,
  SharedRateLimiter,
  TokenBucketOptions,
} from "./core/rate-limit.js";
export type {
  Principal,
  TokenActor,
  VerifyFailure,
  VerifyFailureReason,
  VerifyOptions,
  VerifyResult,
  VerifySuccess,
} from "./core/results.js";
export type { RotatedToken, RotateTokenInput } from "./core/rotation.js";
// Store authors import the rest of the storage port from "patkit/store".
export type { TokenStore } from "./core/store.js";
export {
  DEFAULT_TOKEN_PREFIX,
  hasValidChecksum,
  TOKEN_BODY_LENGTH,
  tokenPattern,
  tokenScanPattern,
} from "./core/token-format.js";
export type {
  Actor,
  Awaitable,
  Owner,
  OwnerKind,
  Permission,
  Policy,
  ProjectOwner,
  ProjectPermission,
  RepositoryOwner,
  RepositoryPermission,
  Requirement,
  Resource,
  RevokedReason,
  TokenStatus,
  TokenView,
  UserOwner,
} from "./core/types.js";
export type {
  EraseUserInput,
  EraseUserResult,
  UserExport,
} from "./core/user-data.js";
export type { VerificationCacheOptions } from "./core/verification-cache.js";
