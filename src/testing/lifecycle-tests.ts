import { describe, expect, it } from "vitest";
import { ConflictError, DAY_MS } from "../index.js";
import type { TokenRecord, TokenRotation } from "../store/index.js";
import { createTestRecord, testInstant } from "./records.js";
import { expectSameRecord, failureOf, type SuiteContext, withChanges } from "./suite-context.js";

/** Revocation reasons, rotation, and last-used client addresses. */
export function defineLifecycleTests(context: SuiteContext): void {
  async function insert(record: TokenRecord): Promise<TokenRecord> {
    await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    return record;
  }

  function rotationOf(old: TokenRecord, revokeAt: Date): TokenRotation {
    return {
      id: old.id,
      expectedVersion: old.version,
      revokeAt,
      record: createTestRecord({
        owner: old.owner,
        createdAt: testInstant(1_000),
        createdBy: "carol",
        expiresAt: testInstant(90 * DAY_MS),
        replaces: old.id,
      }),
    };
  }

  describe("revocation reasons and rotation links", () => {
    it("stores the lifecycle fields as given", async () => {
      const record = await insert(
        createTestRecord({
          revokedAt: testInstant(5),
          revokedReason: "leaked",
          replaces: "earlierToken0001",
          replacedBy: "laterToken000001",
          lastUsedIps: ["2001:db8::1", "192.0.2.7"],
        }),
      );
      expectSameRecord(await context.store.findById(record.id), record);
    });

    it("revokes with the reason given, manual by default, and keeps the first revocation", async () => {
      const a = await insert(createTestRecord());
      const b = await insert(createTestRecord());
      const revoked = await context.store.revoke(a.id, testInstant(10), "leaked");
      expectSameRecord(
        revoked,
        withChanges(a, { revokedAt: testInstant(10), revokedReason: "leaked", version: 2 }),
      );
      const again = await context.store.revoke(a.id, testInstant(20), "manual");
      expect(again?.revokedReason).toBe("leaked");
      expect(again?.revokedAt?.getTime()).toBe(testInstant(10).getTime());
      expect((await context.store.revoke(b.id, testInstant(10)))?.revokedReason).toBe("manual");
    });

    it("brings a scheduled revocation forward with the new reason, keeping replacedBy", async () => {
      const old = await insert(createTestRecord());
      const rotation = rotationOf(old, testInstant(DAY_MS));
      await context.store.rotate(rotation);
      const revoked = await context.store.revoke(old.id, testInstant(60_000), "leaked");
      expect(revoked?.revokedAt?.getTime()).toBe(testInstant(60_000).getTime());
      expect(revoked?.revokedReason).toBe("leaked");
      expect(revoked?.replacedBy).toBe(rotation.record.id);
      expect(revoked?.version).toBe(3);
    });
  });

  describe("rotate", () => {
    it("schedules the old token's end and inserts the new one, in one step", async () => {
      const old = await insert(createTestRecord({ lastUsedIps: ["192.0.2.1"] }));
      const rotation = rotationOf(old, testInstant(3_600_000));
      const previous = await context.store.rotate(rotation);
      const expected = withChanges(old, {
        revokedAt: testInstant(3_600_000),
        revokedReason: "rotated",
        replacedBy: rotation.record.id,
        version: 2,
      });
      expectSameRecord(previous, expected);
      expectSameRecord(await context.store.findById(old.id), expected);
      expectSameRecord(await context.store.findById(rotation.record.id), rotation.record);
      const listed = await context.store.list({ owner: old.owner, limit: 10 });
      expect(listed.map((record) => record.id)).toEqual([old.id, rotation.record.id]);
    });

    it("ignores the per-owner limit", async () => {
      const old = await insert(createTestRecord());
      await insert(createTestRecord());
      const rotation = rotationOf(old, testInstant(1_000));
      await context.store.rotate(rotation);
      expect(await context.store.findById(rotation.record.id)).not.toBeNull();
    });

    it("returns null for a missing token and inserts nothing", async () => {
      const rotation = rotationOf(createTestRecord(), testInstant(1_000));
      expect(await context.store.rotate(rotation)).toBeNull();
      expect(await context.store.findById(rotation.record.id)).toBeNull();
    });

    it("refuses (ConflictError) a rotated, revoked or changed token, changing nothing", async () => {
      const rotated = await insert(createTestRecord());
      await context.store.rotate(rotationOf(rotated, testInstant(1_000)));
      const revoked = await insert(createTestRecord());
      await context.store.revoke(revoked.id, testInstant(5));
      const scheduled = await insert(createTestRecord({ revokedAt: testInstant(DAY_MS) }));
      const edited = await insert(createTestRecord());
      await context.store.updateIfVersion(edited.id, 1, { name: "renamed" });
      for (const old of [rotated, revoked, scheduled, edited]) {
        const before = await context.store.findById(old.id);
        const rotation = rotationOf(old, testInstant(2_000));
        expect(await failureOf(() => context.store.rotate(rotation))).toBeInstanceOf(ConflictError);
        expectSameRecord(await context.store.findById(old.id), before as TokenRecord);
        expect(await context.store.findById(rotation.record.id)).toBeNull();
      }
    });

    it("lets only one of two concurrent rotations of a token win", async () => {
      const old = await insert(createTestRecord());
      const first = rotationOf(old, testInstant(1_000));
      const second = rotationOf(old, testInstant(1_000));
      const outcomes = await Promise.allSettled([
        Promise.resolve().then(() => context.store.rotate(first)),
        Promise.resolve().then(() => context.store.rotate(second)),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
      const found = await Promise.all([
        context.store.findById(first.record.id),
        context.store.findById(second.record.id),
      ]);
      expect(found.filter((record) => record !== null)).toHaveLength(1);
    });
  });

  describe("last-used client addresses", () => {
    it("keeps up to 5 distinct addresses, the latest use first", async () => {
      const record = await insert(createTestRecord());
      const ips = ["192.0.2.1", "192.0.2.2", "2001:db8::3", "192.0.2.4", "192.0.2.5", "192.0.2.6"];
      for (const [index, ip] of ips.entries()) {
        await context.store.touchLastAuthenticated([
          { id: record.id, at: testInstant((index + 1) * 60_000), ip },
        ]);
      }
      await context.store.touchLastAuthenticated([
        { id: record.id, at: testInstant(10 * 60_000), ip: "192.0.2.4" },
      ]);
      const found = await context.store.findById(record.id);
      expect(found?.lastUsedIps).toEqual([
        "192.0.2.4",
        "192.0.2.6",
        "192.0.2.5",
        "2001:db8::3",
        "192.0.2.2",
      ]);
      expect(found?.lastAuthenticatedAt?.getTime()).toBe(testInstant(10 * 60_000).getTime());
      expect(found?.version).toBe(1);
    });

    it("adds an older use's address last without moving the time back; no address, no change", async () => {
      const record = await insert(createTestRecord());
      await context.store.touchLastAuthenticated([
        { id: record.id, at: testInstant(60_000), ip: "192.0.2.1" },
      ]);
      await context.store.touchLastAuthenticated([
        { id: record.id, at: testInstant(30_000), ip: "192.0.2.9" },
        { id: "missingToken0001", at: testInstant(30_000), ip: "192.0.2.9" },
      ]);
      await context.store.touchLastAuthenticated([{ id: record.id, at: testInstant(90_000) }]);
      const found = await context.store.findById(record.id);
      expect(found?.lastUsedIps).toEqual(["192.0.2.1", "192.0.2.9"]);
      expect(found?.lastAuthenticatedAt?.getTime()).toBe(testInstant(90_000).getTime());
    });

    it("revokes unused tokens with reason unused", async () => {
      const record = await insert(createTestRecord());
      const [revoked] = await context.store.revokeUnused({
        unusedSince: testInstant(DAY_MS),
        now: testInstant(2 * DAY_MS),
        limit: 10,
      });
      expect(revoked?.id).toBe(record.id);
      expect(revoked?.revokedReason).toBe("unused");
      expect((await context.store.findById(record.id))?.revokedReason).toBe("unused");
    });

    it("forgets the addresses of tokens an erased user created", async () => {
      const project = await insert(
        createTestRecord({
          owner: { kind: "project", projectId: "PRJ" },
          createdBy: "dave",
          lastUsedIps: ["192.0.2.1"],
        }),
      );
      await context.store.eraseUser("dave", "erased-1");
      const found = await context.store.findById(project.id);
      expect(found?.createdBy).toBe("erased-1");
      expect(found?.lastUsedIps).toEqual([]);
    });
  });
}
