import { describe, it } from "vitest";
import type { Owner, Permission } from "../index.js";
import type { TokenRecord } from "../store/index.js";
import { createTestRecord, randomBytes, testInstant } from "./records.js";
import { expectSameRecord, type Mutable, type SuiteContext, withChanges } from "./suite-context.js";

/** Scribbles over every mutable part of a record: fields, owner, permissions, dates, hash bytes. */
function scribble(record: TokenRecord | null): void {
  if (record === null) return;
  const target = record as Mutable<TokenRecord>;
  (target.owner as Mutable<Owner> & { userId?: string; projectId?: string }).projectId =
    "scribbled";
  (target.owner as { userId?: string }).userId = "scribbled";
  (target.permissions as Permission[]).push("PROJECT_ADMIN");
  (target.permissions as Permission[])[0] = "REPO_ADMIN";
  target.secretHash[0] = (target.secretHash[0] ?? 0) ^ 0xff;
  target.secretHash.fill(7, 1);
  for (const field of ["createdAt", "expiresAt", "lastAuthenticatedAt", "revokedAt"] as const) {
    target[field]?.setTime(0);
  }
  target.name = "scribbled";
  target.version = 99;
}

/** Copies, not aliases: nothing a caller holds can change what is stored. */
export function defineCopyTests(context: SuiteContext): void {
  async function stored(): Promise<TokenRecord> {
    const record = createTestRecord({
      expiresAt: testInstant(86_400_000),
      lastAuthenticatedAt: testInstant(1),
    });
    await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    return record;
  }

  function snapshot(record: TokenRecord): TokenRecord {
    return createTestRecord({
      ...record,
      owner: { ...record.owner },
      permissions: [...record.permissions],
      secretHash: record.secretHash.slice(),
      createdAt: new Date(record.createdAt),
      expiresAt: record.expiresAt && new Date(record.expiresAt),
      lastAuthenticatedAt: record.lastAuthenticatedAt && new Date(record.lastAuthenticatedAt),
      revokedAt: record.revokedAt && new Date(record.revokedAt),
    });
  }

  describe("copies, not aliases", () => {
    it("keeps no reference to the inserted record", async () => {
      const record = await stored();
      const before = snapshot(record);
      scribble(record);
      expectSameRecord(await context.store.findById(before.id), before);
    });

    it("returns copies from findById and list", async () => {
      const record = snapshot(await stored());
      scribble(await context.store.findById(record.id));
      for (const listed of await context.store.list({ limit: 10 })) scribble(listed);
      for (const listed of await context.store.list({ owner: record.owner, limit: 10 })) {
        scribble(listed);
      }
      expectSameRecord(await context.store.findById(record.id), record);
    });

    it("returns copies from updateIfVersion and revoke", async () => {
      const record = snapshot(await stored());
      scribble(await context.store.updateIfVersion(record.id, 1, { name: "updated" }));
      scribble(await context.store.revoke(record.id, testInstant(5)));
      expectSameRecord(
        await context.store.findById(record.id),
        withChanges(record, {
          name: "updated",
          revokedAt: testInstant(5),
          revokedReason: "manual",
          version: 3,
        }),
      );
    });

    it("keeps no reference to a patch, a revocation time or a touch", async () => {
      const record = createTestRecord();
      await context.store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
      const secretHash = randomBytes(32);
      const permissions: Permission[] = ["PROJECT_READ", "REPO_READ"];
      const expiresAt = testInstant(86_400_000);
      await context.store.updateIfVersion(record.id, 1, { secretHash, permissions, expiresAt });
      const revokedAt = testInstant(9);
      await context.store.revoke(record.id, revokedAt);
      const touchedAt = testInstant(8);
      await context.store.touchLastAuthenticated([{ id: record.id, at: touchedAt }]);
      const expected = withChanges(record, {
        secretHash: secretHash.slice(),
        permissions: [...permissions],
        expiresAt: new Date(expiresAt),
        revokedAt: new Date(revokedAt),
        revokedReason: "manual",
        lastAuthenticatedAt: new Date(touchedAt),
        version: 3,
      });
      secretHash.fill(0);
      permissions[0] = "PROJECT_ADMIN";
      for (const date of [expiresAt, revokedAt, touchedAt]) date.setTime(0);
      expectSameRecord(await context.store.findById(record.id), expected);
    });
  });
}
