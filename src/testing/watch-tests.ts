import { describe, expect, it, vi } from "vitest";
import type { StoreChange, TokenRecord, Unwatch } from "../store/index.js";
import { createTestRecord, testInstant } from "./records.js";
import type { SuiteContext } from "./suite-context.js";

/** The optional `watch`: skipped (and reported as skipped) for stores without it. */
export function defineWatchTests(context: SuiteContext): void {
  async function stored(): Promise<TokenRecord> {
    const record = createTestRecord({ expiresAt: testInstant(10) });
    await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    return record;
  }

  async function subscribe(): Promise<{ changes: StoreChange[]; unwatch: Unwatch }> {
    const changes: StoreChange[] = [];
    const watch = context.store.watch?.bind(context.store);
    if (watch === undefined) throw new Error("The store has no watch()");
    const unwatch = await watch((change) => changes.push(change));
    return { changes, unwatch };
  }

  async function expectReported(changes: StoreChange[], id: string): Promise<void> {
    await vi.waitFor(() => expect(changes).toContainEqual({ kind: "token", id }), {
      timeout: context.watchTimeoutMs,
      interval: 10,
    });
  }

  describe("watch (optional)", () => {
    it("reports updates, revocations and purges of a token", async ({ skip }) => {
      if (context.store.watch === undefined) skip("the store has no watch()");
      const record = await stored();
      const { changes, unwatch } = await subscribe();
      try {
        await context.store.updateIfVersion(record.id, 1, { name: "renamed" });
        await expectReported(changes, record.id);
        changes.length = 0;
        await context.store.revoke(record.id, testInstant(5));
        await expectReported(changes, record.id);
        changes.length = 0;
        await context.store.purge(testInstant(100));
        await expectReported(changes, record.id);
      } finally {
        await unwatch();
      }
    });

    it("stops reporting to a listener once it unwatches", async ({ skip }) => {
      if (context.store.watch === undefined) skip("the store has no watch()");
      const record = await stored();
      const stopped = await subscribe();
      const running = await subscribe();
      try {
        await stopped.unwatch();
        await context.store.updateIfVersion(record.id, 1, { name: "renamed" });
        await expectReported(running.changes, record.id);
        expect(stopped.changes).toEqual([]);
      } finally {
        await running.unwatch();
      }
    });
  });
}
