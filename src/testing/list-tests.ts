import { describe, expect, it } from "vitest";
import type { Owner } from "../index.js";
import type { ListPosition, TokenRecord } from "../store/index.js";
import { createTestRecord, testInstant } from "./records.js";
import type { SuiteContext } from "./suite-context.js";

/** Owners that a store keying on a careless string would mix up. */
const LOOKALIKE_OWNERS: readonly Owner[] = [
  { kind: "user", userId: "1" },
  { kind: "project", projectId: "1" },
  { kind: "repository", projectId: "1", repositoryId: "1" },
  { kind: "repository", projectId: "1", repositoryId: "2" },
  { kind: "repository", projectId: "a/b", repositoryId: "c" },
  { kind: "repository", projectId: "a", repositoryId: "b/c" },
  { kind: "user", userId: 'a:"b' },
  { kind: "project", projectId: 'a:"b' },
];

/** list: order, owners, pagination with an exclusive `after` or an offset, limits, records revoked at an instant left out. */
export function defineListTests(context: SuiteContext): void {
  async function insertAll(records: readonly TokenRecord[]): Promise<void> {
    for (const record of records) {
      await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    }
  }

  const ids = (records: readonly TokenRecord[]) => records.map((record) => record.id);

  describe("list", () => {
    it("lists one owner's tokens in (createdAt, id) order, ids compared by code unit", async () => {
      const owner: Owner = { kind: "user", userId: "carol" };
      const other: Owner = { kind: "user", userId: "dave" };
      await insertAll([
        createTestRecord({ id: "b", owner, createdAt: testInstant(2) }),
        createTestRecord({ id: "z", owner, createdAt: testInstant(1) }),
        createTestRecord({ id: "c", owner: other, createdAt: testInstant(2) }),
        createTestRecord({ id: "B", owner, createdAt: testInstant(2) }),
        createTestRecord({ id: "A", owner, createdAt: testInstant(3) }),
        createTestRecord({ id: "a", owner, createdAt: testInstant(2) }),
      ]);
      const listed = await context.store.list({ owner, limit: 100 });
      expect(ids(listed)).toEqual(["z", "B", "a", "b", "A"]);
    });

    it("lists every token of every owner when no owner is given", async () => {
      await insertAll([
        createTestRecord({
          id: "t3",
          owner: { kind: "user", userId: "u" },
          createdAt: testInstant(3),
        }),
        createTestRecord({
          id: "t1",
          owner: { kind: "project", projectId: "p" },
          createdAt: testInstant(1),
        }),
        createTestRecord({
          id: "t2",
          owner: { kind: "repository", projectId: "p", repositoryId: "r" },
          createdAt: testInstant(2),
        }),
      ]);
      expect(ids(await context.store.list({ limit: 100 }))).toEqual(["t1", "t2", "t3"]);
    });

    it("keeps owners apart: same ids in different kinds, projects and repositories", async () => {
      const records = LOOKALIKE_OWNERS.map((owner, index) =>
        createTestRecord({ id: `owner${index}`, owner }),
      );
      await insertAll(records);
      for (const record of records) {
        const listed = await context.store.list({ owner: record.owner, limit: 100 });
        expect(ids(listed), JSON.stringify(record.owner)).toEqual([record.id]);
        expect(listed[0]?.owner).toEqual(record.owner);
      }
    });

    it("returns an empty list for an owner without tokens", async () => {
      await insertAll([createTestRecord()]);
      const owner: Owner = { kind: "user", userId: "nobody" };
      expect(await context.store.list({ owner, limit: 10 })).toEqual([]);
    });

    it("returns at most `limit` records", async () => {
      await insertAll([1, 2, 3].map((ms) => createTestRecord({ createdAt: testInstant(ms) })));
      expect(await context.store.list({ limit: 1 })).toHaveLength(1);
      expect(
        await context.store.list({ owner: { kind: "user", userId: "alice" }, limit: 2 }),
      ).toHaveLength(2);
    });

    it("pages through every record exactly once, `after` exclusive", async () => {
      const owner: Owner = { kind: "project", projectId: "paged" };
      const records = [5, 1, 3, 3, 3, 2, 4].map((ms, index) =>
        createTestRecord({ id: `p${index}`, owner, createdAt: testInstant(ms) }),
      );
      await insertAll(records);
      await insertAll([createTestRecord({ owner: { kind: "project", projectId: "other" } })]);
      const expected = ["p1", "p5", "p2", "p3", "p4", "p6", "p0"];

      const seen: string[] = [];
      let after: ListPosition | undefined;
      for (let page = 0; page < 10; page++) {
        const batch = await context.store.list({ owner, after, limit: 3 });
        seen.push(...ids(batch));
        const last = batch[batch.length - 1];
        if (batch.length < 3 || last === undefined) break;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual(expected);
    });

    it("starts strictly after a position, stored or not", async () => {
      await insertAll([
        createTestRecord({ id: "m1", createdAt: testInstant(1) }),
        createTestRecord({ id: "m2", createdAt: testInstant(2) }),
        createTestRecord({ id: "m4", createdAt: testInstant(2) }),
        createTestRecord({ id: "m3", createdAt: testInstant(3) }),
      ]);
      const stored = await context.store.list({
        after: { createdAt: testInstant(2), id: "m2" },
        limit: 10,
      });
      expect(ids(stored)).toEqual(["m4", "m3"]);
      const between = await context.store.list({
        owner: { kind: "user", userId: "alice" },
        after: { createdAt: testInstant(2), id: "m3" },
        limit: 10,
      });
      expect(ids(between)).toEqual(["m4", "m3"]);
      const sameTimeLaterId = await context.store.list({
        after: { createdAt: testInstant(1), id: "zzz" },
        limit: 10,
      });
      expect(ids(sameTimeLaterId)).toEqual(["m2", "m4", "m3"]);
    });

    it("skips `offset` records in listing order, for one owner or all, combined with `after`", async () => {
      const owner: Owner = { kind: "repository", projectId: "p", repositoryId: "r" };
      const records = [4, 1, 3, 2, 2, 5].map((ms, index) =>
        createTestRecord({ id: `o${index}`, owner, createdAt: testInstant(ms) }),
      );
      await insertAll(records);
      await insertAll([createTestRecord({ id: "x", createdAt: testInstant(0) })]);
      // Listing order of the owner: o1, o3, o4, o2, o0, o5.
      expect(ids(await context.store.list({ owner, offset: 0, limit: 2 }))).toEqual(["o1", "o3"]);
      expect(ids(await context.store.list({ owner, offset: 2, limit: 3 }))).toEqual([
        "o4",
        "o2",
        "o0",
      ]);
      expect(ids(await context.store.list({ owner, offset: 5, limit: 10 }))).toEqual(["o5"]);
      expect(await context.store.list({ owner, offset: 6, limit: 10 })).toEqual([]);
      expect(await context.store.list({ owner, offset: 2_000_000_000, limit: 10 })).toEqual([]);
      expect(ids(await context.store.list({ offset: 1, limit: 2 }))).toEqual(["o1", "o3"]);
      const after = { createdAt: testInstant(2), id: "o3" };
      expect(ids(await context.store.list({ owner, after, offset: 1, limit: 2 }))).toEqual([
        "o2",
        "o0",
      ]);
    });

    it("leaves out records revoked at `notRevokedAt`, before the offset counts", async () => {
      const owner: Owner = { kind: "project", projectId: "revoking" };
      const records = [1, 2, 3, 4, 5].map((ms) =>
        createTestRecord({ id: `r${ms}`, owner, createdAt: testInstant(ms) }),
      );
      await insertAll(records);
      await context.store.revoke("r1", testInstant(10));
      await context.store.revoke("r3", testInstant(10));
      expect(ids(await context.store.list({ owner, limit: 10 }))).toEqual([
        "r1",
        "r2",
        "r3",
        "r4",
        "r5",
      ]);
      const notRevokedAt = testInstant(20);
      const live = await context.store.list({ owner, notRevokedAt, limit: 10 });
      expect(ids(live)).toEqual(["r2", "r4", "r5"]);
      expect(ids(await context.store.list({ owner, notRevokedAt, offset: 1, limit: 1 }))).toEqual([
        "r4",
      ]);
      expect(ids(await context.store.list({ notRevokedAt, offset: 2, limit: 10 }))).toEqual(["r5"]);
    });

    it("lists a record whose revocation lies after `notRevokedAt` (a grace period), not one at or before it", async () => {
      const owner: Owner = { kind: "repository", projectId: "grace", repositoryId: "r" };
      const old = createTestRecord({ id: "g1", owner, createdAt: testInstant(1) });
      const past = createTestRecord({ id: "g0", owner, createdAt: testInstant(0) });
      await insertAll([past, old]);
      await context.store.revoke("g0", testInstant(500));
      const fresh = createTestRecord({
        id: "g2",
        owner,
        createdAt: testInstant(1000),
        replaces: "g1",
      });
      // The old token works until 1 ms after the instant asked about, then no longer.
      await context.store.rotate({
        id: "g1",
        expectedVersion: 1,
        revokeAt: testInstant(2001),
        record: fresh,
      });
      const at = (ms: number) => ({ owner, notRevokedAt: testInstant(ms), limit: 10 });
      expect(ids(await context.store.list(at(2000)))).toEqual(["g1", "g2"]);
      expect(ids(await context.store.list({ ...at(2000), offset: 1 }))).toEqual(["g2"]);
      expect(ids(await context.store.list(at(2001)))).toEqual(["g2"]);
      expect(ids(await context.store.list(at(499)))).toEqual(["g0", "g1", "g2"]);
      expect(ids(await context.store.list(at(500)))).toEqual(["g1", "g2"]);
      expect(ids(await context.store.list({ notRevokedAt: testInstant(2000), limit: 10 }))).toEqual(
        expect.arrayContaining(["g1", "g2"]),
      );
    });
  });
}
