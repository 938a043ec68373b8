import type { PGlite } from "@electric-sql/pglite";
import { type Awaitable, StoreUnavailableError } from "patkit";
import { createPostgresStore, migrate, type PostgresClient } from "patkit/postgres";
import type { TokenRecord } from "patkit/store";
import { comparableRecord, createTestRecord } from "patkit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPGlite, freshSchema, uniqueSchema } from "./support.js";

const limit = { maxTokensPerOwner: null, now: new Date() };

/** PGlite as the store sees it, with its `query` and `execProtocol` calls counted. */
function counted(db: PGlite) {
  const calls = { query: 0, execProtocol: 0 };
  const client = {
    query: (text: string, values?: unknown[]) => {
      calls.query++;
      return db.query(text, values);
    },
    execProtocol: (message: Uint8Array, options?: { syncToFs?: boolean }) => {
      calls.execProtocol++;
      return db.execProtocol(message, options);
    },
    runExclusive: db.runExclusive.bind(db),
    _runExclusiveTransaction: db._runExclusiveTransaction.bind(db),
  };
  return { client: client as unknown as PostgresClient, calls };
}

describe("the verify lookup on PGlite is prepared once on the instance", () => {
  let db: PGlite;
  let schema: string;
  beforeAll(async () => {
    db = await createPGlite();
    schema = (await freshSchema(db, "prepared")).schema;
  });
  afterAll(async () => {
    await db.close();
  });

  const records: TokenRecord[] = [
    createTestRecord(),
    createTestRecord({
      name: "ünïcødé ✓ name",
      owner: { kind: "project", projectId: "PRJ" },
      permissions: ["PROJECT_READ", "REPO_WRITE"],
      expiresAt: new Date("2031-05-06T07:08:09.123Z"),
      lastAuthenticatedAt: new Date("2030-01-02T03:04:05.006Z"),
    }),
    createTestRecord({
      owner: { kind: "repository", projectId: "PRJ", repositoryId: "repo" },
      permissions: ["REPO_ADMIN"],
      revokedAt: new Date("2030-02-03T04:05:06.789Z"),
      version: 7,
    }),
  ];

  it("reads every record exactly as a plain query does, one execProtocol call each", async () => {
    const { client, calls } = counted(db);
    const store = createPostgresStore({ client, schema, listen: false });
    const plain = createPostgresStore({
      client: db,
      schema,
      listen: false,
      namedStatements: false,
    });
    for (const record of records) await store.insert(record, limit);
    calls.query = 0;
    for (const record of records) {
      const found = await store.findById(record.id);
      expect(found).not.toBeNull();
      expect(comparableRecord(found as TokenRecord)).toEqual(comparableRecord(record));
      expect(found).toEqual(await plain.findById(record.id));
    }
    expect(await store.findById("no-such-token-id")).toBeNull();
    expect(await store.findById("nul\u0000id")).toBeNull();
    expect(calls).toEqual({ query: 0, execProtocol: records.length + 1 });
  });

  it("prepares again when the statement was deallocated", async () => {
    const store = createPostgresStore({ client: db, schema, listen: false });
    const record = records[0] as TokenRecord;
    expect((await store.findById(record.id))?.id).toBe(record.id);
    await db.exec("DEALLOCATE ALL");
    expect((await store.findById(record.id))?.id).toBe(record.id);
  });

  it("fails as the store does without tables, and works once they exist", async () => {
    const missing = uniqueSchema("prepared_missing");
    const store = createPostgresStore({ client: db, schema: missing, listen: false });
    await expect(store.findById("anything")).rejects.toBeInstanceOf(StoreUnavailableError);
    await migrate(db, { schema: missing });
    const record = createTestRecord();
    await store.insert(record, limit);
    expect((await store.findById(record.id))?.id).toBe(record.id);
  });

  it("waits for a transaction another caller holds open, as query does", async () => {
    const store = createPostgresStore({ client: db, schema, listen: false });
    const record = records[1] as TokenRecord;
    const tokens = `"${schema}".patkit_tokens`;
    let pending: Awaitable<TokenRecord | null> | undefined;
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE ${tokens} SET name = 'uncommitted' WHERE id = $1`, [record.id]);
      pending = store.findById(record.id);
      // Statements of the open transaction; the lookup must not run in between them.
      for (let i = 0; i < 5; i++) await tx.query("SELECT 1");
      await tx.rollback();
    });
    expect((await pending)?.name).toBe(record.name);
  });

  it("can be turned off: then every lookup is a plain query", async () => {
    const { client, calls } = counted(db);
    const store = createPostgresStore({ client, schema, listen: false, namedStatements: false });
    expect((await store.findById((records[0] as TokenRecord).id))?.id).toBeDefined();
    expect(calls).toEqual({ query: 1, execProtocol: 0 });
  });
});
