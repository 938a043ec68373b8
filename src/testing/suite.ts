import { afterEach, beforeEach, describe } from "vitest";
import type { Awaitable, TokenStore } from "../index.js";
import { defineCopyTests } from "./copy-tests.js";
import { defineLifecycleTests } from "./lifecycle-tests.js";
import { defineLimitTests } from "./limit-tests.js";
import { defineListTests } from "./list-tests.js";
import { defineMaintenanceTests } from "./maintenance-tests.js";
import { definePolicyTests } from "./policy-tests.js";
import { defineRecordTests } from "./record-tests.js";
import type { SuiteContext } from "./suite-context.js";
import { defineUpdateTests } from "./update-tests.js";
import { defineWatchTests } from "./watch-tests.js";

/** A store made for one test, with what to do once the test is over. */
export interface TokenStoreFixture {
  readonly store: TokenStore;
  /** Runs after the test, e.g. to drop the test's schema or close a connection; a promise it returns is awaited. */
  readonly cleanup?: () => unknown;
}

/** What the suite tells the factory about the test it is making a store for. */
export interface StoreFactoryContext {
  /**
   * A short string unique to this test, of lower-case letters, digits and `_`, starting with a
   * letter: safe in a schema name, a table prefix or a file name.
   */
  readonly key: string;
}

/**
 * Makes a fresh, empty store for one test: return the store, or a {@link TokenStoreFixture}
 * when something must be cleaned up afterwards.
 */
export type TokenStoreFactory = (
  context: StoreFactoryContext,
) => Awaitable<TokenStore | TokenStoreFixture>;

/** Options of {@link testTokenStore}. */
export interface TestTokenStoreOptions {
  /** How many inserts race for the same owner in the concurrency test; default 50. */
  readonly concurrentInserts?: number;
  /** The owner's limit in the concurrency test; default 10. */
  readonly concurrentLimit?: number;
  /** How long to wait for a `watch` notification before failing, in ms; default 5000. */
  readonly watchTimeoutMs?: number;
}

/**
 * Defines a vitest suite named `name` that checks a {@link TokenStore} against the port's
 * contract: insert and find, listing and pagination in (createdAt, id) order, owners kept
 * apart, conditional updates, write-once expiry, revoke, last-authenticated touches, the
 * policy, purge, the per-owner limit (also under concurrent inserts), copies instead of
 * shared objects, millisecond timestamps, maintenance (expiry notice marks claimed once,
 * unused tokens, bounded purges, a user's tokens listed and erased), revocation reasons,
 * atomic rotation, last-used client addresses and, when the store has it, `watch`.
 *
 * `createStore` runs before every test and must give a fresh, empty store (for a database:
 * a new schema, table prefix or file per test). Call it at the top level of a test file:
 *
 * ```ts
 * import { testTokenStore } from "patkit/testing";
 * testTokenStore("my store", ({ key }) => createMyStore({ namespace: key }));
 * ```
 */
export function testTokenStore(
  name: string,
  createStore: TokenStoreFactory,
  options: TestTokenStoreOptions = {},
): void {
  describe(name, () => {
    let current: TokenStoreFixture | undefined;

    beforeEach(async () => {
      current = asFixture(await createStore({ key: uniqueKey() }));
    });

    afterEach(async () => {
      const fixture = current;
      current = undefined;
      await fixture?.cleanup?.();
    });

    const context: SuiteContext = {
      get store() {
        if (current === undefined) throw new Error("The store is only available inside a test");
        return current.store;
      },
      concurrentInserts: options.concurrentInserts ?? 50,
      concurrentLimit: options.concurrentLimit ?? 10,
      watchTimeoutMs: options.watchTimeoutMs ?? 5000,
    };

    defineRecordTests(context);
    defineListTests(context);
    defineUpdateTests(context);
    definePolicyTests(context);
    defineLimitTests(context);
    defineCopyTests(context);
    defineMaintenanceTests(context);
    defineLifecycleTests(context);
    defineWatchTests(context);
  });
}

function asFixture(made: TokenStore | TokenStoreFixture): TokenStoreFixture {
  if (typeof made !== "object" || made === null) {
    throw new TypeError("createStore must return a TokenStore or { store, cleanup? }");
  }
  return "insert" in made ? { store: made } : made;
}

let keys = 0;

function uniqueKey(): string {
  keys++;
  const random = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return `k${keys.toString(36)}_${random.toString(36)}`;
}
