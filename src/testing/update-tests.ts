import { describe, expect, it } from "vitest";
import { ExpiryImmutableError } from "../index.js";
import type { TokenRecord } from "../store/index.js";
import { createTestRecord, randomBytes, testInstant } from "./records.js";
import { expectSameRecord, failureOf, type SuiteContext, withChanges } from "./suite-context.js";

/** updateIfVersion, revoke and touchLastAuthenticated. */
export function defineUpdateTests(context: SuiteContext): void {
  async function stored(overrides: Partial<TokenRecord> = {}): Promise<TokenRecord> {
    const record = createTestRecord(overrides);
    await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    return record;
  }

  describe("updateIfVersion", () => {
    it("applies the patch when the version matches and increments the version", async () => {
      const record = await stored({ owner: { kind: "user", userId: "erin" } });
      const updated = await context.store.updateIfVersion(record.id, 1, {
        name: "renamed",
        permissions: ["PROJECT_READ", "REPO_WRITE"],
      });
      const expected = withChanges(record, {
        name: "renamed",
        permissions: ["PROJECT_READ", "REPO_WRITE"],
        version: 2,
      });
      expectSameRecord(updated, expected);
      expectSameRecord(await context.store.findById(record.id), expected);
    });

    it("returns null and changes nothing when the version differs", async () => {
      const record = await stored();
      expect(await context.store.updateIfVersion(record.id, 2, { name: "stale" })).toBeNull();
      expect(await context.store.updateIfVersion(record.id, 0, { name: "stale" })).toBeNull();
      expectSameRecord(await context.store.findById(record.id), record);
    });

    it("returns null for an unknown id", async () => {
      await stored();
      expect(await context.store.updateIfVersion("unknownTokenId00", 1, { name: "x" })).toBeNull();
    });

    it("needs the latest version for each further update", async () => {
      const record = await stored();
      expect((await context.store.updateIfVersion(record.id, 1, { name: "two" }))?.version).toBe(2);
      expect(await context.store.updateIfVersion(record.id, 1, { name: "lost" })).toBeNull();
      const third = await context.store.updateIfVersion(record.id, 2, { name: "three" });
      expectSameRecord(third, withChanges(record, { name: "three", version: 3 }));
    });

    it("replaces the secret hash", async () => {
      const record = await stored();
      const secretHash = randomBytes(32);
      await context.store.updateIfVersion(record.id, 1, { secretHash });
      expectSameRecord(
        await context.store.findById(record.id),
        withChanges(record, { secretHash, version: 2 }),
      );
    });

    it("sets an expiry on a record that has none", async () => {
      const record = await stored();
      const expiresAt = testInstant(7 * 86_400_000 + 1);
      const updated = await context.store.updateIfVersion(record.id, 1, { expiresAt });
      expectSameRecord(updated, withChanges(record, { expiresAt, version: 2 }));
    });

    it("refuses to change a set expiry (ExpiryImmutableError) and changes nothing", async () => {
      const record = await stored({ expiresAt: testInstant(86_400_000) });
      const error = await failureOf(() =>
        context.store.updateIfVersion(record.id, 1, {
          name: "sneaky",
          expiresAt: testInstant(2 * 86_400_000),
        }),
      );
      expect(error).toBeInstanceOf(ExpiryImmutableError);
      expectSameRecord(await context.store.findById(record.id), record);
    });

    it("refuses to set a set expiry again, even to the same instant", async () => {
      const record = await stored({ expiresAt: testInstant(86_400_000) });
      const error = await failureOf(() =>
        context.store.updateIfVersion(record.id, 1, { expiresAt: testInstant(86_400_000) }),
      );
      expect(error).toBeInstanceOf(ExpiryImmutableError);
      expectSameRecord(await context.store.findById(record.id), record);
    });
  });

  describe("revoke", () => {
    it("marks the record revoked and increments the version", async () => {
      const record = await stored({ lastAuthenticatedAt: testInstant(3) });
      const revoked = await context.store.revoke(record.id, testInstant(10));
      const expected = withChanges(record, {
        revokedAt: testInstant(10),
        revokedReason: "manual",
        version: 2,
      });
      expectSameRecord(revoked, expected);
      expectSameRecord(await context.store.findById(record.id), expected);
    });

    it("is idempotent: keeps the first revocation time and version", async () => {
      const record = await stored();
      await context.store.revoke(record.id, testInstant(10));
      const again = await context.store.revoke(record.id, testInstant(20));
      const expected = withChanges(record, {
        revokedAt: testInstant(10),
        revokedReason: "manual",
        version: 2,
      });
      expectSameRecord(again, expected);
      expectSameRecord(await context.store.findById(record.id), expected);
    });

    it("returns null for an unknown id", async () => {
      expect(await context.store.revoke("unknownTokenId00", testInstant())).toBeNull();
    });
  });

  describe("touchLastAuthenticated", () => {
    it("sets the last-authenticated time without changing the version", async () => {
      const record = await stored();
      await context.store.touchLastAuthenticated([{ id: record.id, at: testInstant(60_001) }]);
      expectSameRecord(
        await context.store.findById(record.id),
        withChanges(record, { lastAuthenticatedAt: testInstant(60_001) }),
      );
      expect(
        await context.store.updateIfVersion(record.id, 1, { name: "still v1" }),
      ).not.toBeNull();
    });

    it("keeps the later time: an earlier touch changes nothing", async () => {
      const record = await stored();
      const touched = async (ms: number) => {
        await context.store.touchLastAuthenticated([{ id: record.id, at: testInstant(ms) }]);
        return (await context.store.findById(record.id))?.lastAuthenticatedAt?.getTime();
      };
      expect(await touched(10_000)).toBe(testInstant(10_000).getTime());
      expect(await touched(5_000)).toBe(testInstant(10_000).getTime());
      expect(await touched(20_000)).toBe(testInstant(20_000).getTime());
    });

    it("applies a batch, the latest entry per id winning, and ignores unknown ids", async () => {
      const first = await stored();
      const second = await stored();
      const untouched = await stored();
      await context.store.touchLastAuthenticated([
        { id: first.id, at: testInstant(30) },
        { id: "unknownTokenId00", at: testInstant(40) },
        { id: second.id, at: testInstant(50) },
        { id: first.id, at: testInstant(20) },
      ]);
      expect((await context.store.findById(first.id))?.lastAuthenticatedAt).toEqual(
        testInstant(30),
      );
      expect((await context.store.findById(second.id))?.lastAuthenticatedAt).toEqual(
        testInstant(50),
      );
      expectSameRecord(await context.store.findById(untouched.id), untouched);
      expect(await context.store.findById("unknownTokenId00")).toBeNull();
    });

    it("accepts an empty batch", async () => {
      const record = await stored();
      await context.store.touchLastAuthenticated([]);
      expectSameRecord(await context.store.findById(record.id), record);
    });
  });
}
