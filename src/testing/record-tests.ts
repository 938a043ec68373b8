import { describe, expect, it } from "vitest";
import { ConflictError } from "../index.js";
import { createTestRecord, testInstant } from "./records.js";
import { expectSameRecord, failureOf, type SuiteContext } from "./suite-context.js";

/** insert and findById: storing, reading back, duplicate ids, timestamps. */
export function defineRecordTests(context: SuiteContext): void {
  describe("insert and findById", () => {
    it("stores a record and finds an equal copy by id", async () => {
      const record = createTestRecord({
        name: "deploy key",
        owner: { kind: "project", projectId: "PRJ" },
        permissions: ["PROJECT_WRITE", "REPO_ADMIN"],
        createdBy: "bob",
        expiresAt: testInstant(30 * 86_400_000),
        lastAuthenticatedAt: testInstant(5_000),
      });
      await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
      expectSameRecord(await context.store.findById(record.id), record);
    });

    it("stores revoked and already-expired records as given", async () => {
      const record = createTestRecord({
        owner: { kind: "repository", projectId: "PRJ", repositoryId: "repo" },
        permissions: ["REPO_WRITE"],
        expiresAt: testInstant(1),
        revokedAt: testInstant(2),
        version: 3,
      });
      await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant(10) });
      expectSameRecord(await context.store.findById(record.id), record);
    });

    it("returns null for an unknown id", async () => {
      await context.store.insert(createTestRecord(), {
        maxTokensPerOwner: null,
        now: testInstant(),
      });
      expect(await context.store.findById("unknownTokenId00")).toBeNull();
    });

    it("treats ids as case-sensitive", async () => {
      const lower = createTestRecord({ id: "casetest0000000a", name: "lower" });
      const upper = createTestRecord({ id: "CASETEST0000000A", name: "upper" });
      await context.store.insert(lower, { maxTokensPerOwner: null, now: testInstant() });
      await context.store.insert(upper, { maxTokensPerOwner: null, now: testInstant() });
      expect((await context.store.findById(lower.id))?.name).toBe("lower");
      expect((await context.store.findById(upper.id))?.name).toBe("upper");
    });

    it("refuses a second record with the same id (ConflictError) and keeps the first", async () => {
      const first = createTestRecord({ name: "first" });
      await context.store.insert(first, { maxTokensPerOwner: null, now: testInstant() });
      const second = createTestRecord({ id: first.id, name: "second", owner: first.owner });
      const error = await failureOf(() =>
        context.store.insert(second, { maxTokensPerOwner: null, now: testInstant() }),
      );
      expect(error).toBeInstanceOf(ConflictError);
      expectSameRecord(await context.store.findById(first.id), first);
    });

    it("round-trips every timestamp to the millisecond", async () => {
      const record = createTestRecord({
        createdAt: new Date("2001-02-03T04:05:06.007Z"),
        expiresAt: new Date("2099-12-31T23:59:59.999Z"),
        lastAuthenticatedAt: new Date("2024-02-29T12:00:00.001Z"),
        revokedAt: new Date("2030-06-15T08:30:00.500Z"),
      });
      await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
      const found = await context.store.findById(record.id);
      expect(found?.createdAt.toISOString()).toBe("2001-02-03T04:05:06.007Z");
      expect(found?.expiresAt?.toISOString()).toBe("2099-12-31T23:59:59.999Z");
      expect(found?.lastAuthenticatedAt?.toISOString()).toBe("2024-02-29T12:00:00.001Z");
      expect(found?.revokedAt?.toISOString()).toBe("2030-06-15T08:30:00.500Z");
    });
  });
}
