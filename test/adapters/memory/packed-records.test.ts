// Tests an internal module: how the memory store packs its records (patkit/memory does not
// export it). The conformance suite checks the store through its port.
import type { Permission } from "patkit";
import { comparableRecord, createTestRecord } from "patkit/testing";
import { describe, expect, it } from "vitest";
import { PackedRecords } from "../../../src/adapters/memory/packed-records.js";

const projectLevels = [null, "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN"] as const;
const repositoryLevels = ["REPO_READ", "REPO_WRITE", "REPO_ADMIN"] as const;

describe("the memory store's packed records", () => {
  it("give back every permission list, owner kind, time and hash byte as they were set", () => {
    const records = new PackedRecords();
    const every = new Uint8Array(256).map((_, i) => i);
    const originals = [];
    for (const project of projectLevels) {
      for (const repository of repositoryLevels) {
        const permissions: Permission[] = project ? [project, repository] : [repository];
        originals.push(createTestRecord({ permissions }));
      }
    }
    originals.push(
      createTestRecord({
        owner: { kind: "project", projectId: "P" },
        secretHash: every,
        createdBy: "someone else",
        expiresAt: new Date(Date.UTC(2040, 0, 1, 0, 0, 0, 1)),
        lastAuthenticatedAt: new Date(0),
        revokedAt: new Date(-1),
        version: 2 ** 31,
      }),
      createTestRecord({ owner: { kind: "repository", projectId: "P", repositoryId: "r" } }),
      // Lists the core never writes are kept as they are, in their order.
      createTestRecord({ permissions: ["REPO_READ", "PROJECT_READ"] }),
      createTestRecord({ permissions: ["PROJECT_READ", "REPO_READ", "REPO_WRITE"] }),
      createTestRecord({ permissions: [] }),
    );
    for (const record of originals) records.set(record.id, record);
    expect(records.size).toBe(originals.length);
    for (const record of originals) {
      const found = records.get(record.id);
      expect(found).toBeDefined();
      expect(comparableRecord(found as never)).toEqual(comparableRecord(record));
    }
    expect([...records.values()].map((r) => r.id)).toEqual(originals.map((r) => r.id));
  });

  it("share nothing with the record set or with what earlier reads returned", () => {
    const records = new PackedRecords();
    const record = createTestRecord({ expiresAt: new Date(1_000) });
    const permissions = record.permissions as Permission[];
    records.set(record.id, record);
    record.secretHash.fill(0);
    (record.createdAt as Date).setTime(5);
    permissions.push("PROJECT_ADMIN");
    const first = records.get(record.id);
    const second = records.get(record.id);
    expect(first).not.toBe(second);
    expect(first?.secretHash).not.toBe(second?.secretHash);
    expect(first?.owner).not.toBe(second?.owner);
    expect(first?.permissions).not.toBe(second?.permissions);
    expect(first?.secretHash.some((byte) => byte !== 0)).toBe(true);
    expect(first?.createdAt.getTime()).not.toBe(5);
    expect(first?.permissions).toEqual(["REPO_READ"]);
    first?.expiresAt?.setTime(0);
    expect(records.get(record.id)?.expiresAt?.getTime()).toBe(1_000);
  });

  it("delete and report what they hold", () => {
    const records = new PackedRecords();
    const record = createTestRecord();
    records.set(record.id, record);
    expect(records.has(record.id)).toBe(true);
    expect(records.delete(record.id)).toBe(true);
    expect(records.has(record.id)).toBe(false);
    expect(records.get(record.id)).toBeUndefined();
    expect(records.size).toBe(0);
  });
});
