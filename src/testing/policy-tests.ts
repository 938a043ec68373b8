import { describe, expect, it } from "vitest";
import type { Policy } from "../index.js";
import type { TokenRecord } from "../store/index.js";
import { createTestRecord, testInstant } from "./records.js";
import { expectSameRecord, type Mutable, type SuiteContext } from "./suite-context.js";

/** getPolicy/putPolicy and purge. */
export function definePolicyTests(context: SuiteContext): void {
  describe("policy", () => {
    it("has no policy until one is stored", async () => {
      expect(await context.store.getPolicy()).toBeNull();
    });

    it("stores and replaces the policy, nulls included", async () => {
      const strict: Policy = {
        expiryRequired: true,
        maxExpiryDays: 90,
        maxTokensPerOwner: 5,
        revokeUnusedAfterDays: 365,
      };
      await context.store.putPolicy(strict);
      expect(await context.store.getPolicy()).toEqual(strict);
      const relaxed: Policy = {
        expiryRequired: false,
        maxExpiryDays: null,
        maxTokensPerOwner: null,
        revokeUnusedAfterDays: null,
      };
      await context.store.putPolicy(relaxed);
      expect(await context.store.getPolicy()).toEqual(relaxed);
    });

    it("keeps no reference to the policy it was given or returned", async () => {
      const given: Mutable<Policy> = {
        expiryRequired: true,
        maxExpiryDays: 30,
        maxTokensPerOwner: 2,
        revokeUnusedAfterDays: 90,
      };
      await context.store.putPolicy(given);
      given.maxExpiryDays = 1;
      const returned = (await context.store.getPolicy()) as Mutable<Policy>;
      returned.maxTokensPerOwner = 99;
      expect(await context.store.getPolicy()).toEqual({
        expiryRequired: true,
        maxExpiryDays: 30,
        maxTokensPerOwner: 2,
        revokeUnusedAfterDays: 90,
      });
    });
  });

  describe("purge", () => {
    async function insertAll(records: readonly TokenRecord[]): Promise<void> {
      for (const record of records) {
        await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
      }
    }

    it("deletes what was revoked or expired before the instant, and counts them", async () => {
      const before = testInstant(1_000);
      const revokedEarlier = createTestRecord({ revokedAt: testInstant(999) });
      const expiredEarlier = createTestRecord({ expiresAt: testInstant(500) });
      const revokedAtInstant = createTestRecord({ revokedAt: before });
      const expiringAtInstant = createTestRecord({ expiresAt: before });
      const expiringLater = createTestRecord({ expiresAt: testInstant(5_000) });
      const active = createTestRecord();
      await insertAll([
        revokedEarlier,
        expiredEarlier,
        revokedAtInstant,
        expiringAtInstant,
        expiringLater,
        active,
      ]);

      expect(await context.store.purge(before)).toBe(2);
      expect(await context.store.findById(revokedEarlier.id)).toBeNull();
      expect(await context.store.findById(expiredEarlier.id)).toBeNull();
      for (const kept of [revokedAtInstant, expiringAtInstant, expiringLater, active]) {
        expectSameRecord(await context.store.findById(kept.id), kept);
      }
      expect(await context.store.list({ limit: 100 })).toHaveLength(4);
    });

    it("returns 0 when nothing is due", async () => {
      await insertAll([createTestRecord(), createTestRecord({ expiresAt: testInstant(10) })]);
      expect(await context.store.purge(testInstant(10))).toBe(0);
      expect(await context.store.list({ limit: 100 })).toHaveLength(2);
    });
  });
}
