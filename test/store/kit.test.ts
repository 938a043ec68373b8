import { ExpiryImmutableError, ValidationError } from "patkit";
import {
  applyPatch,
  ownerFromColumns,
  ownerKey,
  permissionColumns,
  policyColumns,
  policyFromColumns,
  recordFromColumns,
  type TokenRecord,
  tokenColumns,
  touchedFields,
} from "patkit/store";
import { describe, expect, it } from "vitest";

const at = (ms: number) => new Date(ms);

function record(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: "t1",
    name: "laptop",
    owner: { kind: "repository", projectId: "P", repositoryId: "R1" },
    permissions: ["REPO_WRITE"],
    secretHash: new Uint8Array(32).fill(7),
    createdAt: at(1_000),
    createdBy: "alice",
    expiresAt: at(9_000),
    lastAuthenticatedAt: null,
    revokedAt: null,
    revokedReason: null,
    replaces: null,
    replacedBy: "t2",
    lastUsedIps: ["192.0.2.1"],
    version: 3,
    ...overrides,
  };
}

describe("patkit/store columns", () => {
  it("round-trips every field of every owner kind, sharing nothing", () => {
    const owners = [
      { kind: "user", userId: "alice" },
      { kind: "project", projectId: "P" },
      { kind: "repository", projectId: "P", repositoryId: "R1" },
    ] as const;
    for (const owner of owners) {
      const original = record({
        owner,
        permissions: owner.kind === "repository" ? ["REPO_READ"] : ["PROJECT_READ", "REPO_WRITE"],
        lastAuthenticatedAt: at(2_000),
        revokedAt: at(3_000),
        revokedReason: "rotated",
      });
      const columns = tokenColumns(original);
      expect(columns.owner_key).toBe(ownerKey(owner));
      expect(columns.created_at).toBe(1_000);
      const back = recordFromColumns(columns);
      expect(back).toEqual(original);
      expect(back.secretHash).not.toBe(original.secretHash);
      expect(back.lastUsedIps).not.toBe(columns.last_used_ips);
      expect(ownerFromColumns(columns)).not.toBe(original.owner);
    }
  });

  it("refuses permission lists two columns cannot hold", () => {
    expect(permissionColumns(["PROJECT_ADMIN", "REPO_ADMIN"])).toEqual({
      project_permission: "PROJECT_ADMIN",
      repository_permission: "REPO_ADMIN",
    });
    for (const bad of [[], ["PROJECT_READ"], ["REPO_READ", "REPO_WRITE"], ["SYS_ADMIN"]]) {
      expect(() => permissionColumns(bad as never)).toThrow(ValidationError);
    }
  });

  it("stores the policy with null for absent fields and reads 0/1 or booleans", () => {
    const columns = policyColumns({ expiryRequired: true, maxExpiryDays: 90 });
    expect(columns).toEqual({
      expiry_required: true,
      max_expiry_days: 90,
      max_tokens_per_owner: null,
      revoke_unused_after_days: null,
    });
    expect(policyFromColumns({ ...columns, expiry_required: 1 }).expiryRequired).toBe(true);
    expect(policyFromColumns({ ...columns, expiry_required: 0 }).expiryRequired).toBe(false);
  });
});

describe("patkit/store updates", () => {
  it("applies a patch with a new version, and refuses to change a set expiry", () => {
    const patched = applyPatch(record({ expiresAt: null }), {
      name: "renamed",
      expiresAt: at(5_000),
    });
    expect(patched).toMatchObject({ name: "renamed", expiresAt: at(5_000), version: 4 });
    expect(() => applyPatch(record(), { name: "x", expiresAt: at(9_000) })).toThrow(
      ExpiryImmutableError,
    );
  });

  it("keeps the later instant and merges the address, or says nothing changes", () => {
    const used = record({ lastAuthenticatedAt: at(5_000), lastUsedIps: ["192.0.2.1"] });
    expect(touchedFields(used, { id: "t1", at: at(6_000), ip: "192.0.2.9" })).toEqual({
      lastAuthenticatedAt: at(6_000),
      lastUsedIps: ["192.0.2.9", "192.0.2.1"],
    });
    // An older write keeps the instant; a new address joins last.
    expect(touchedFields(used, { id: "t1", at: at(4_000), ip: "192.0.2.9" })).toEqual({
      lastAuthenticatedAt: at(5_000),
      lastUsedIps: ["192.0.2.1", "192.0.2.9"],
    });
    expect(touchedFields(used, { id: "t1", at: at(4_000) })).toBeNull();
    expect(touchedFields(used, { id: "t1", at: at(4_000), ip: "192.0.2.1" })).toBeNull();
  });
});
