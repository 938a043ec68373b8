import { describe, expect, it } from "vitest";
import { LimitExceededError, type Owner } from "../index.js";
import type { TokenRecord } from "../store/index.js";
import { createTestRecord, testInstant } from "./records.js";
import { failureOf, type SuiteContext } from "./suite-context.js";

/** The per-owner limit of insert, sequential and concurrent. */
export function defineLimitTests(context: SuiteContext): void {
  const owner: Owner = { kind: "user", userId: "frank" };
  const now = testInstant(1_000);

  async function insertFree(records: readonly TokenRecord[]): Promise<void> {
    for (const record of records)
      await context.store.insert(record, { maxTokensPerOwner: null, now });
  }

  async function expectRefused(record: TokenRecord, limit: number): Promise<void> {
    const error = await failureOf(() =>
      context.store.insert(record, { maxTokensPerOwner: limit, now }),
    );
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as LimitExceededError).limit).toBe(limit);
    expect(await context.store.findById(record.id)).toBeNull();
  }

  describe("per-owner limit", () => {
    it("refuses an insert past the limit (LimitExceededError) and stores nothing", async () => {
      for (let i = 0; i < 2; i++) {
        await context.store.insert(createTestRecord({ owner }), { maxTokensPerOwner: 2, now });
      }
      await expectRefused(createTestRecord({ owner }), 2);
      expect(await context.store.list({ owner, limit: 10 })).toHaveLength(2);
    });

    it("counts only live tokens: expired (expiresAt <= now) and revoked ones are free", async () => {
      await insertFree([
        createTestRecord({ owner, expiresAt: now }),
        createTestRecord({ owner, expiresAt: testInstant(999) }),
        createTestRecord({ owner, revokedAt: testInstant(1) }),
        createTestRecord({ owner, expiresAt: testInstant(1_001) }),
        createTestRecord({ owner }),
      ]);
      await context.store.insert(createTestRecord({ owner }), { maxTokensPerOwner: 3, now });
      await expectRefused(createTestRecord({ owner }), 3);
      // One millisecond later the token expiring at 1001 ms is no longer live.
      const later = testInstant(1_001);
      await context.store.insert(createTestRecord({ owner }), { maxTokensPerOwner: 3, now: later });
    });

    it("frees a slot when a token is revoked", async () => {
      const first = createTestRecord({ owner });
      await context.store.insert(first, { maxTokensPerOwner: 1, now });
      await expectRefused(createTestRecord({ owner }), 1);
      await context.store.revoke(first.id, now);
      await context.store.insert(createTestRecord({ owner }), { maxTokensPerOwner: 1, now });
    });

    it("counts each owner on its own", async () => {
      const owners: Owner[] = [
        { kind: "user", userId: "1" },
        { kind: "project", projectId: "1" },
        { kind: "repository", projectId: "1", repositoryId: "1" },
        { kind: "repository", projectId: "1", repositoryId: "2" },
      ];
      for (const each of owners) {
        await context.store.insert(createTestRecord({ owner: each }), {
          maxTokensPerOwner: 1,
          now,
        });
      }
      for (const each of owners) await expectRefused(createTestRecord({ owner: each }), 1);
    });

    it("has no limit when maxTokensPerOwner is null", async () => {
      await insertFree(Array.from({ length: 12 }, () => createTestRecord({ owner })));
      expect(await context.store.list({ owner, limit: 100 })).toHaveLength(12);
    });

    it("holds under concurrent inserts for one owner", async () => {
      const limit = context.concurrentLimit;
      const records = Array.from({ length: context.concurrentInserts }, () =>
        createTestRecord({ owner }),
      );
      const outcomes = await Promise.allSettled(
        records.map(async (record) =>
          context.store.insert(record, { maxTokensPerOwner: limit, now }),
        ),
      );
      const stored = records.filter((_, index) => outcomes[index]?.status === "fulfilled");
      const refusals = outcomes.flatMap((outcome) =>
        outcome.status === "rejected" ? [outcome.reason] : [],
      );
      expect(stored).toHaveLength(limit);
      expect(refusals).toHaveLength(records.length - limit);
      for (const reason of refusals) expect(reason).toBeInstanceOf(LimitExceededError);
      const listed = await context.store.list({ owner, limit: records.length + 1 });
      expect(listed.map((record) => record.id).sort()).toEqual(
        stored.map((record) => record.id).sort(),
      );
    });
  });
}
