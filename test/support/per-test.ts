import { afterEach, beforeEach } from "vitest";
import { createHarness, type Harness } from "./host.js";
import type { OpenedStore, StoreTarget } from "./stores.js";

/**
 * A harness over a fresh store of `target` for each test, closed after it. Call it inside a
 * `describe`; the object it returns always reads the current test's harness.
 */
export function harnessPerTest(
  target: StoreTarget,
  options: Parameters<typeof createHarness>[0] = {},
): Harness {
  let opened: OpenedStore | undefined;
  let current: Harness | undefined;
  beforeEach(async () => {
    opened = await target.open();
    current = createHarness({ ...options, store: opened.store });
  });
  afterEach(async () => {
    await current?.tokens.close();
    await opened?.close();
    current = undefined;
    opened = undefined;
  });
  const now = (): Harness => {
    if (current === undefined) throw new Error("The harness is only available inside a test");
    return current;
  };
  return {
    get tokens() {
      return now().tokens;
    },
    get store() {
      return now().store;
    },
    get host() {
      return now().host;
    },
    get clock() {
      return now().clock;
    },
    get counting() {
      return now().counting;
    },
    get events() {
      return now().events;
    },
    get errors() {
      return now().errors;
    },
  };
}
