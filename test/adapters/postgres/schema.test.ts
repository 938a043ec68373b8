import { ValidationError } from "patkit";
import { createPostgresStore, type PostgresStore } from "patkit/postgres";
import { createTestRecord, testInstant } from "patkit/testing";
import type pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeOnBackends, freshSchema } from "./support.js";

const HASH_HEX = "ab".repeat(32);

/** A valid row of the tokens table as column values; tests break one rule at a time. */
const VALID_ROW: Record<string, unknown> = {
  name: "raw",
  owner_kind: "user",
  user_id: "u1",
  project_id: null,
  repository_id: null,
  project_permission: null,
  repository_permission: "REPO_READ",
  secret_hash: HASH_HEX,
  created_at: "2025-01-01T00:00:00.000Z",
  created_by: "u1",
  version: 1,
};

describeOnBackends("the database's own rules", (client, backend) => {
  let schema: string;
  let drop: () => Promise<void>;
  let store: PostgresStore;

  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(client(), "rules"));
    store = createPostgresStore({ client: client(), schema });
  });
  afterEach(async () => {
    await drop();
  });

  let rowCount = 0;
  async function rawInsert(changes: Record<string, unknown>): Promise<unknown> {
    const row = { id: `raw${++rowCount}`, ...VALID_ROW, ...changes };
    const columns = Object.keys(row);
    const values = columns.map((column) =>
      column === "secret_hash"
        ? `decode($${columns.indexOf(column) + 1}, 'hex')`
        : `$${columns.indexOf(column) + 1}`,
    );
    try {
      await client().query(
        `INSERT INTO "${schema}".patkit_tokens (${columns.join(", ")}) VALUES (${values.join(", ")})`,
        Object.values(row),
      );
      return null;
    } catch (error) {
      return error;
    }
  }

  it("accepts a valid row", async () => {
    expect(await rawInsert({})).toBeNull();
  });

  it.each([
    [
      "an unknown repository level",
      { repository_permission: "REPO_SUPER" },
      "tokens_repository_permission_known",
    ],
    [
      "a system permission",
      { repository_permission: "SYSTEM_ADMIN" },
      "tokens_repository_permission_known",
    ],
    [
      "an unknown project level",
      { project_permission: "PROJECT_OWNER" },
      "tokens_project_permission_known",
    ],
    [
      "a repository token with a project level",
      {
        owner_kind: "repository",
        user_id: null,
        project_id: "p",
        repository_id: "r",
        project_permission: "PROJECT_READ",
      },
      "tokens_permissions_repository_token_has_no_project_level",
    ],
    [
      "a repository level below the project level",
      { project_permission: "PROJECT_ADMIN", repository_permission: "REPO_WRITE" },
      "tokens_permissions_repository_level_at_least_project_level",
    ],
    [
      "a project token without its project",
      { owner_kind: "project", user_id: null },
      "tokens_owner_columns",
    ],
    ["a personal token that also names a project", { project_id: "p" }, "tokens_owner_columns"],
    [
      "a repository token without its repository",
      { owner_kind: "repository", user_id: null, project_id: "p" },
      "tokens_owner_columns",
    ],
    ["an unknown owner kind", { owner_kind: "group" }, "tokens_owner_columns"],
    ["an empty owner id", { user_id: "" }, "tokens_owner_columns"],
    [
      "a hash that is not 32 bytes",
      { secret_hash: "ab".repeat(16) },
      "tokens_secret_hash_32_bytes",
    ],
    ["an empty name", { name: "" }, "tokens_name_not_empty"],
    ["version 0", { version: 0 }, "tokens_version_positive"],
  ])("rejects %s", async (_, changes, constraint) => {
    expect(await rawInsert(changes)).toMatchObject({ code: "23514", constraint });
  });

  it("rejects a row without a repository level", async () => {
    expect(await rawInsert({ repository_permission: null })).toMatchObject({ code: "23502" });
  });

  it("refuses any UPDATE that sets a set expiry, and keeps the row", async () => {
    const record = createTestRecord({ expiresAt: testInstant(86_400_000) });
    await store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    for (const change of [
      "expires_at = expires_at + interval '1 day'",
      "expires_at = NULL",
      "expires_at = expires_at",
      "name = 'x', expires_at = now()",
    ]) {
      const error = await client()
        .query(`UPDATE "${schema}".patkit_tokens SET ${change} WHERE id = $1`, [record.id])
        .catch((failure: unknown) => failure);
      expect(error, change).toMatchObject({ code: "PT002" });
    }
    const stored = await store.findById(record.id);
    expect(stored?.expiresAt).toEqual(record.expiresAt);
    expect(stored?.name).toBe(record.name);
  });

  it("lets an UPDATE give an expiry once to a token without one", async () => {
    const record = createTestRecord();
    await store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    const set = () =>
      client().query(
        `UPDATE "${schema}".patkit_tokens SET expires_at = now() + interval '1 day' WHERE id = $1`,
        [record.id],
      );
    await set();
    expect((await store.findById(record.id))?.expiresAt).not.toBeNull();
    await expect(set()).rejects.toMatchObject({ code: "PT002" });
  });

  it.each([
    [
      "two project levels",
      { permissions: ["PROJECT_READ", "PROJECT_WRITE", "REPO_ADMIN"] },
      "permissions",
    ],
    ["two repository levels", { permissions: ["REPO_READ", "REPO_WRITE"] }, "permissions"],
    ["an unknown permission", { permissions: ["REPO_SUPER"] }, "permissions"],
    [
      "a repository level below the project level",
      { permissions: ["PROJECT_ADMIN", "REPO_READ"] },
      "permissions",
    ],
    [
      "a repository token with a project level",
      {
        owner: { kind: "repository", projectId: "p", repositoryId: "r" },
        permissions: ["PROJECT_READ", "REPO_READ"],
      },
      "permissions",
    ],
    ["an empty owner id", { owner: { kind: "user", userId: "" } }, "owner"],
    ["a 16-byte hash", { secretHash: new Uint8Array(16) }, "secretHash"],
  ])(
    "makes the store refuse %s with a ValidationError, hash not echoed",
    async (_, changes, field) => {
      const record = createTestRecord(changes as never);
      const error = await Promise.resolve()
        .then(() => store.insert(record, { maxTokensPerOwner: null, now: testInstant() }))
        .catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields).toEqual([field]);
      expect((error as Error).cause).toBeUndefined();
      expect(JSON.stringify(error)).not.toMatch(/[0-9a-f]{32}/);
      expect(await store.findById(record.id)).toBeNull();
    },
  );

  it("does not find ids that PostgreSQL text cannot hold, and refuses to store them", async () => {
    const id = "nul\u0000id";
    expect(await store.findById(id)).toBeNull();
    expect(await store.revoke(id, testInstant())).toBeNull();
    expect(await store.updateIfVersion(id, 1, { name: "x" })).toBeNull();
    const error = await Promise.resolve()
      .then(() =>
        store.insert(createTestRecord({ id }), { maxTokensPerOwner: null, now: testInstant() }),
      )
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ValidationError);
  });

  it("finds by primary key and lists through an index", async () => {
    // A tiny table is read sequentially anyway; forbid that to see which index a query can use.
    const session =
      backend === "server" ? await (client() as unknown as pg.Pool).connect() : client();
    try {
      await session.query("SET enable_seqscan = off");
      const plan = async (text: string, values: unknown[]) => {
        const { rows } = await session.query(`EXPLAIN ${text}`, values);
        return (rows as { "QUERY PLAN": string }[]).map((row) => row["QUERY PLAN"]).join("\n");
      };
      const table = `"${schema}".patkit_tokens`;
      expect(await plan(`SELECT * FROM ${table} WHERE id = $1`, ["x"])).toContain(
        "patkit_tokens_pkey",
      );
      expect(
        await plan(
          `SELECT * FROM ${table} WHERE owner_kind = 'user' AND user_id = $1 ORDER BY created_at, id LIMIT 10`,
          ["u"],
        ),
      ).toContain("patkit_tokens_by_user");
      expect(
        await plan(
          `SELECT * FROM ${table} WHERE owner_kind = 'repository' AND project_id = $1 AND repository_id = $2 ORDER BY created_at, id LIMIT 10`,
          ["p", "r"],
        ),
      ).toContain("patkit_tokens_by_repository");
      expect(await plan(`SELECT * FROM ${table} ORDER BY created_at, id LIMIT 10`, [])).toContain(
        "patkit_tokens_by_creation",
      );
    } finally {
      await session.query("RESET enable_seqscan");
      if ("release" in session) session.release();
    }
  });
});
