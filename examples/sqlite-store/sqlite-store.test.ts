import Database from "better-sqlite3";
import { createAccessTokens, StoreUnavailableError } from "patkit";
import { testTokenStore } from "patkit/testing";
import { describe, expect, it } from "vitest";
import { createSqliteStore } from "./sqlite-store.js";

// The whole contract, on a fresh in-memory database per test.
testTokenStore("SQLite store (better-sqlite3)", () => {
  const db = new Database(":memory:");
  return { store: createSqliteStore(db), cleanup: () => db.close() };
});

describe("SQLite store beyond the suite", () => {
  it("refuses a hand-written UPDATE of a set expiry in the database itself", () => {
    const db = new Database(":memory:");
    createSqliteStore(db);
    db.prepare(`INSERT INTO tokens (id, name, owner_kind, owner_key, user_id, project_id,
      repository_id, repository_permission, secret_hash, created_at, created_by, expires_at,
      last_authenticated_at, revoked_at, version) VALUES ('t1', 'n', 'user', '["user","u"]', 'u',
      NULL, NULL, 'REPO_READ', zeroblob(32), 0, 'u', 1000, NULL, NULL, 1)`).run();
    expect(() => db.prepare("UPDATE tokens SET expires_at = 2000 WHERE id = 't1'").run()).toThrow(
      /expiry is written once/,
    );
    db.close();
  });

  it("makes verifyToken reject when the database is gone (fails closed)", async () => {
    const db = new Database(":memory:");
    const tokens = createAccessTokens({
      store: createSqliteStore(db),
      access: { hasPermission: () => true, isSystemAdmin: () => false },
    });
    const { secret } = await tokens.create(
      { owner: { kind: "user", userId: "u" }, name: "t", permissions: ["REPO_READ"] },
      { userId: "u" },
    );
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    db.close();
    await expect(tokens.verifyToken(secret)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
