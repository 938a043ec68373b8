/**
 * `patkit/store`: the kit for store authors. Everything a custom {@link TokenStore} needs
 * (the records it keeps, the patches and queries it answers, the errors it throws) and the
 * rules it shares with the built-in stores, apart from the application API in `patkit`.
 * Prove a store with the conformance suite in `patkit/testing`.
 *
 * @packageDocumentation
 * @module patkit/store
 */
export {
  ConflictError,
  ExpiryImmutableError,
  LimitExceededError,
  StoreUnavailableError,
} from "../core/errors.js";
export { isNoticeDue } from "../core/expiry-notices.js";
export {
  type CreatedByQuery,
  type DueNotice,
  type DueNoticeQuery,
  type InsertLimit,
  isExpiredAt,
  isLive,
  isRevokedAt,
  type ListPosition,
  type ListQuery,
  MAINTENANCE_STORE_METHODS,
  MAX_LAST_USED_IPS,
  mergeLastUsedIps,
  type NoticeClaim,
  ownerKey,
  REQUIRED_STORE_METHODS,
  type StoreChange,
  type TokenPatch,
  type TokenRecord,
  type TokenRotation,
  type TokenStore,
  type TouchEntry,
  type UnusedQuery,
  type Unwatch,
  type UserErasure,
} from "../core/store.js";
export type { Awaitable, Owner, Permission, Policy, RevokedReason } from "../core/types.js";
export {
  type NumericColumn,
  type OwnerColumns,
  ownerColumns,
  ownerFromColumns,
  type PermissionColumns,
  type PolicyColumns,
  permissionColumns,
  permissionsFromColumns,
  policyColumns,
  policyFromColumns,
  recordFromColumns,
  type StoredTokenColumns,
  type TokenColumns,
  tokenColumns,
} from "./columns.js";
export { applyPatch, type TouchedFields, touchedFields } from "./updates.js";
