import { describe, expect, it } from "vitest";
import { DAY_MS, type Owner, type TokenStore } from "../index.js";
import { MAINTENANCE_STORE_METHODS, type TokenRecord } from "../store/index.js";
import { createTestRecord, testInstant } from "./records.js";
import { expectSameRecord, type SuiteContext, withChanges } from "./suite-context.js";

/** Why each maintenance method exists, for the message of a store that lacks it. */
const PURPOSE: Readonly<Record<(typeof MAINTENANCE_STORE_METHODS)[number], string>> = {
  findDueNotices: "runMaintenance finds the tokens due for an expiry notice with it",
  claimNotices: "runMaintenance claims each expiry notice with it, so it goes out once",
  revokeUnused: "runMaintenance revokes tokens unused for the policy's revokeUnusedAfterDays",
  listCreatedBy: "exportUser lists the tokens a user created with it",
  eraseUser: "eraseUser deletes a user's tokens and pseudonymizes createdBy with it",
};

const NOTICE_DAYS = [30, 7, 1] as const;

/** Maintenance (notices, unused tokens, bounded purge) and a user's data. */
export function defineMaintenanceTests(context: SuiteContext): void {
  const now = testInstant(100 * DAY_MS);
  const days = (count: number) => count * DAY_MS;

  async function insertAll(records: readonly TokenRecord[]): Promise<void> {
    for (const record of records) {
      await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    }
  }

  function store(): Required<Pick<TokenStore, (typeof MAINTENANCE_STORE_METHODS)[number]>> {
    return context.store;
  }

  async function dueIds(at = now, limit = 100): Promise<string[]> {
    const due = await store().findDueNotices({ days: NOTICE_DAYS, now: at, limit });
    return due.map((notice) => notice.record.id).sort();
  }

  const expiringIn = (ms: number, changes: Partial<TokenRecord> = {}) =>
    createTestRecord({ expiresAt: new Date(now.getTime() + ms), ...changes });

  describe("maintenance methods", () => {
    it.each(MAINTENANCE_STORE_METHODS)("has %s", (method) => {
      const present = typeof (context.store as unknown as Record<string, unknown>)[method];
      expect(present, `TokenStore.${method} is missing: ${PURPOSE[method]}`).toBe("function");
    });
  });

  describe("expiry notices", () => {
    it("finds live tokens within the largest threshold, expired ones, and nothing else", async () => {
      const in40 = expiringIn(days(40));
      const in30 = expiringIn(days(30));
      const in2 = expiringIn(days(2));
      const expired = expiringIn(-days(400));
      const revoked = expiringIn(days(2), { revokedAt: testInstant(1) });
      const endless = createTestRecord();
      await insertAll([in40, in30, in2, expired, revoked, endless]);
      expect(await dueIds()).toEqual([in30.id, in2.id, expired.id].sort());
      const due = await store().findDueNotices({ days: NOTICE_DAYS, now, limit: 10 });
      for (const notice of due) expect(notice.noticedDays).toBeNull();
      const first = due.find((notice) => notice.record.id === in30.id);
      expectSameRecord(first?.record ?? null, in30);
    });

    it("moves marks only from the expected value, on unrevoked tokens, and answers the ids moved", async () => {
      const a = expiringIn(days(20));
      const b = expiringIn(days(20));
      const gone = expiringIn(days(20), { revokedAt: testInstant(1) });
      await insertAll([a, b, gone]);
      const moved = await store().claimNotices([
        { id: a.id, from: null, to: 30 },
        { id: b.id, from: 30, to: 7 },
        { id: gone.id, from: null, to: 30 },
        { id: "missing", from: null, to: 30 },
      ]);
      expect(moved).toEqual([a.id]);
      expect(await store().claimNotices([{ id: a.id, from: null, to: 30 }])).toEqual([]);
      const due = await store().findDueNotices({ days: NOTICE_DAYS, now, limit: 10 });
      expect(due.map((notice) => notice.record.id)).toEqual([b.id]);
      // Handing a claim back is a move the other way.
      expect(await store().claimNotices([{ id: a.id, from: 30, to: null }])).toEqual([a.id]);
      expect(await dueIds()).toEqual([a.id, b.id].sort());
    });

    it("is due again for each smaller threshold, then for the expiry, then never", async () => {
      const token = expiringIn(days(10));
      await insertAll([token]);
      const at = (ms: number) => new Date((token.expiresAt as Date).getTime() - ms);
      await store().claimNotices([{ id: token.id, from: null, to: 30 }]);
      expect(await dueIds(at(days(7) + 1))).toEqual([]);
      expect(await dueIds(at(days(7)))).toEqual([token.id]);
      await store().claimNotices([{ id: token.id, from: 30, to: 7 }]);
      expect(await dueIds(at(days(1) + 1))).toEqual([]);
      expect(await dueIds(at(days(1)))).toEqual([token.id]);
      await store().claimNotices([{ id: token.id, from: 7, to: 1 }]);
      expect(await dueIds(at(1))).toEqual([]);
      expect(await dueIds(at(0))).toEqual([token.id]);
      await store().claimNotices([{ id: token.id, from: 1, to: 0 }]);
      expect(await dueIds(at(-days(1000)))).toEqual([]);
      const [found] = await store().findDueNotices({ days: [2], now: at(days(2)), limit: 1 });
      expect(found).toBeUndefined();
    });

    it("keeps marks from other thresholds in mind (a mark of 14 is due at 7 days, not 30)", async () => {
      const token = expiringIn(days(10));
      await insertAll([token]);
      await store().claimNotices([{ id: token.id, from: null, to: 14 }]);
      expect(await dueIds()).toEqual([]);
      expect(await dueIds(new Date(now.getTime() + days(3)))).toEqual([token.id]);
      const [due] = await store().findDueNotices({
        days: NOTICE_DAYS,
        now: new Date(now.getTime() + days(3)),
        limit: 1,
      });
      expect(due?.noticedDays).toBe(14);
    });

    it("answers at most `limit` tokens", async () => {
      await insertAll(Array.from({ length: 5 }, () => expiringIn(days(1))));
      expect(await dueIds(now, 3)).toHaveLength(3);
    });

    it("lets concurrent claims of one mark succeed once", async () => {
      const tokens = Array.from({ length: 20 }, () => expiringIn(days(5)));
      await insertAll(tokens);
      const claims = tokens.map((token) => ({ id: token.id, from: null, to: 7 }));
      const results = await Promise.all(
        Array.from({ length: 4 }, async () => store().claimNotices(claims)),
      );
      const claimed = results.flat().sort();
      expect(claimed).toEqual(tokens.map((token) => token.id).sort());
    });
  });

  describe("unused tokens", () => {
    const unusedSince = new Date(now.getTime() - days(90));

    it("revokes live tokens last used (or created) at or before the instant, and only those", async () => {
      const neverUsed = createTestRecord({ createdAt: unusedSince });
      const usedLongAgo = createTestRecord({
        lastAuthenticatedAt: new Date(unusedSince.getTime() - 1),
        expiresAt: new Date(now.getTime() + 1),
      });
      const usedRecently = createTestRecord({
        lastAuthenticatedAt: new Date(unusedSince.getTime() + 1),
      });
      const createdRecently = createTestRecord({ createdAt: new Date(unusedSince.getTime() + 1) });
      const expired = createTestRecord({ expiresAt: now });
      const revoked = createTestRecord({ revokedAt: testInstant(5) });
      await insertAll([neverUsed, usedLongAgo, usedRecently, createdRecently, expired, revoked]);

      const result = await store().revokeUnused({ unusedSince, now, limit: 100 });
      expect(result.map((record) => record.id).sort()).toEqual(
        [neverUsed.id, usedLongAgo.id].sort(),
      );
      for (const record of result) expect(record.revokedAt?.getTime()).toBe(now.getTime());
      expectSameRecord(
        await context.store.findById(neverUsed.id),
        withChanges(neverUsed, { revokedAt: now, revokedReason: "unused", version: 2 }),
      );
      for (const kept of [usedRecently, createdRecently, expired, revoked]) {
        expectSameRecord(await context.store.findById(kept.id), kept);
      }
      expect(await store().revokeUnused({ unusedSince, now, limit: 100 })).toEqual([]);
    });

    it("leaves a rotated token in its grace period alone: no notice, no revocation as unused", async () => {
      // Its end is set (a revocation after `now`): it works until then, but it was replaced.
      const inGrace = expiringIn(days(2), {
        createdAt: new Date(unusedSince.getTime() - days(1)),
        revokedAt: new Date(now.getTime() + days(1)),
        revokedReason: "rotated",
        replacedBy: "the-new-one",
        version: 2,
      });
      const live = expiringIn(days(2), { createdAt: new Date(unusedSince.getTime() - days(1)) });
      await insertAll([inGrace, live]);
      expect(await dueIds()).toEqual([live.id]);
      const revoked = await store().revokeUnused({ unusedSince, now, limit: 100 });
      expect(revoked.map((record) => record.id)).toEqual([live.id]);
      expectSameRecord(await context.store.findById(inGrace.id), inGrace);
    });

    it("revokes at most `limit`, and each token once under concurrent calls", async () => {
      const tokens = Array.from({ length: 12 }, () => createTestRecord());
      await insertAll(tokens);
      expect(await store().revokeUnused({ unusedSince, now, limit: 2 })).toHaveLength(2);
      const results = await Promise.all(
        Array.from({ length: 4 }, async () => store().revokeUnused({ unusedSince, now, limit: 3 })),
      );
      const again = await store().revokeUnused({ unusedSince, now, limit: 100 });
      const ids = [...results.flat(), ...again].map((record) => record.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(10);
    });
  });

  describe("bounded purge", () => {
    it("deletes at most `limit` and counts them", async () => {
      await insertAll(Array.from({ length: 5 }, () => createTestRecord({ revokedAt: now })));
      const before = new Date(now.getTime() + 1);
      expect(await context.store.purge(before, 2)).toBe(2);
      expect(await context.store.purge(before, 10)).toBe(3);
      expect(await context.store.purge(before, 10)).toBe(0);
    });
  });

  describe("a user's data", () => {
    const erin: Owner = { kind: "user", userId: "erin" };
    const project: Owner = { kind: "project", projectId: "P" };

    it("lists the tokens a user created, in (createdAt, id) order, a page at a time", async () => {
      const created = [3, 1, 2, 2].map((ms, index) =>
        createTestRecord({
          id: `c${index}`,
          owner: index % 2 ? project : erin,
          createdBy: "erin",
          createdAt: testInstant(ms),
        }),
      );
      await insertAll([...created, createTestRecord({ createdBy: "frank" })]);
      const all = await store().listCreatedBy({ createdBy: "erin", limit: 10 });
      expect(all.map((record) => record.id)).toEqual(["c1", "c2", "c3", "c0"]);
      const page = await store().listCreatedBy({
        createdBy: "erin",
        after: { createdAt: testInstant(2), id: "c2" },
        limit: 1,
      });
      expect(page.map((record) => record.id)).toEqual(["c3"]);
      expect(await store().listCreatedBy({ createdBy: "nobody", limit: 10 })).toEqual([]);
    });

    it("erases a user: personal tokens deleted, createdBy pseudonymized, others untouched", async () => {
      const personal = createTestRecord({ owner: erin, createdBy: "erin" });
      const revoked = createTestRecord({ owner: erin, createdBy: "erin", revokedAt: now });
      const projectToken = createTestRecord({ owner: project, createdBy: "erin" });
      const others = createTestRecord({ createdBy: "alice" });
      await insertAll([personal, revoked, projectToken, others]);
      expect(await store().eraseUser("erin", "user-7f3a")).toEqual({
        deleted: 2,
        pseudonymized: 1,
      });
      expect(await context.store.findById(personal.id)).toBeNull();
      expect(await context.store.findById(revoked.id)).toBeNull();
      expectSameRecord(
        await context.store.findById(projectToken.id),
        withChanges(projectToken, { createdBy: "user-7f3a" }),
      );
      expectSameRecord(await context.store.findById(others.id), others);
      expect(await context.store.list({ owner: erin, limit: 10 })).toEqual([]);
      expect(await store().listCreatedBy({ createdBy: "erin", limit: 10 })).toEqual([]);
      expect(await store().eraseUser("erin", "user-7f3a")).toEqual({
        deleted: 0,
        pseudonymized: 0,
      });
    });
  });
}
