/**
 * `patkit/testing`: the conformance suite for `TokenStore` adapters (needs vitest), and
 * small helpers for adapter authors.
 *
 * @packageDocumentation
 * @module patkit/testing
 */
export {
  comparableRecord,
  createTestRecord,
  randomBytes,
  randomTokenId,
  TEST_EPOCH,
  testInstant,
} from "./records.js";
export {
  type StoreFactoryContext,
  type TestTokenStoreOptions,
  type TokenStoreFactory,
  type TokenStoreFixture,
  testTokenStore,
} from "./suite.js";
