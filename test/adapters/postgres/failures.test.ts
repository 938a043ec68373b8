import { inspect } from "node:util";
import {
  createAccessTokens,
  type HostAccess,
  StoreUnavailableError,
  type TokenStore,
} from "patkit";
import { createMemoryStore } from "patkit/memory";
import { createPostgresStore, migrate } from "patkit/postgres";
import { createTestRecord, testInstant } from "patkit/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createPGlite, createPool, DATABASE_URL, freshSchema } from "./support.js";

const access: HostAccess = { hasPermission: () => true, isSystemAdmin: () => false };
const alice = { userId: "alice" };

/** A well-formed token string, so verification gets as far as the store. */
async function someTokenString(): Promise<string> {
  const tokens = createAccessTokens({ store: createMemoryStore(), access });
  const created = await tokens.create(
    { owner: { kind: "user", userId: "alice" }, name: "t", permissions: ["REPO_READ"] },
    alice,
  );
  return created.secret;
}

async function failureOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("Expected a failure");
}

function expectUnavailable(error: unknown, causeCode?: string): void {
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect((error as Error).cause).toBeDefined();
  if (causeCode !== undefined) expect((error as Error).cause).toMatchObject({ code: causeCode });
}

describe("a server that refuses connections", () => {
  // Nothing listens on port 1: every connection attempt is refused at once.
  const pool = new pg.Pool({ host: "127.0.0.1", port: 1, user: "postgres", database: "test" });
  afterAll(async () => {
    await pool.end();
  });
  const store = createPostgresStore({ client: pool, listen: { connect: () => pool.connect() } });

  it("makes every store call throw StoreUnavailableError with the cause", async () => {
    const calls: [string, (store: TokenStore) => unknown][] = [
      ["findById", (s) => s.findById("abc")],
      ["insert", (s) => s.insert(createTestRecord(), { maxTokensPerOwner: 3, now: testInstant() })],
      ["list", (s) => s.list({ limit: 5 })],
      ["updateIfVersion", (s) => s.updateIfVersion("abc", 1, { name: "x" })],
      ["revoke", (s) => s.revoke("abc", testInstant())],
      ["touchLastAuthenticated", (s) => s.touchLastAuthenticated([{ id: "a", at: testInstant() }])],
      ["getPolicy", (s) => s.getPolicy()],
      ["purge", (s) => s.purge(testInstant())],
    ];
    for (const [name, call] of calls) {
      const error = await failureOf(() => call(store));
      expect(error, name).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message, name).toContain(name);
      expect((error as Error).cause, name).toMatchObject({ code: "ECONNREFUSED" });
    }
  });

  it("makes verifyToken reject (fail closed) rather than answer", async () => {
    const tokens = createAccessTokens({ store, access });
    const secret = await someTokenString();
    expectUnavailable(await failureOf(() => tokens.verifyToken(secret)), "ECONNREFUSED");
    expectUnavailable(await failureOf(() => tokens.authenticate(`Bearer ${secret}`)));
  });

  it("makes migrate and watch throw StoreUnavailableError", async () => {
    expectUnavailable(await failureOf(() => migrate(pool)), "ECONNREFUSED");
    expectUnavailable(await failureOf(() => store.watch?.(() => undefined)), "ECONNREFUSED");
  });
});

describe("PGlite failures", () => {
  it("reports a store used before migrate, without the hash in the error", async () => {
    const db = await createPGlite();
    try {
      const store = createPostgresStore({ client: db, schema: "never_migrated" });
      const record = createTestRecord();
      const hashHex = Buffer.from(record.secretHash).toString("hex");
      const error = await failureOf(() =>
        store.insert(record, { maxTokensPerOwner: null, now: testInstant() }),
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain("run migrate()");
      expect(inspect(error, { depth: 5 })).not.toContain(hashHex);
      expect(JSON.stringify(error)).not.toContain(hashHex);
    } finally {
      await db.close();
    }
  });

  it("throws StoreUnavailableError once the instance is closed, and verify rejects", async () => {
    const db = await createPGlite();
    await migrate(db);
    const store = createPostgresStore({ client: db });
    const tokens = createAccessTokens({ store, access });
    const { secret } = await tokens.create(
      { owner: { kind: "user", userId: "alice" }, name: "t", permissions: ["REPO_READ"] },
      alice,
    );
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    await db.close();
    expectUnavailable(await failureOf(() => store.findById("abc")));
    expectUnavailable(await failureOf(() => tokens.verifyToken(secret)));
  });
});

describe.skipIf(!DATABASE_URL)("a backend cut off mid-operation (PostgreSQL server)", () => {
  let pool: pg.Pool;
  let blocker: pg.Client;
  let schema: string;
  let drop: () => Promise<void>;
  let store: TokenStore;

  beforeAll(async () => {
    pool = createPool({ max: 4 });
  });
  afterAll(async () => {
    await pool.end();
  });
  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(pool, "cutoff"));
    store = createPostgresStore({ client: pool, schema });
    blocker = new pg.Client(DATABASE_URL);
    await blocker.connect();
  });
  afterEach(async () => {
    await blocker.end();
    await drop();
  });

  /** Waits until a backend waits for a lock the blocker holds, and terminates that backend. */
  async function terminateWaiter(): Promise<void> {
    const pid = await vi.waitFor(
      async () => {
        const { rows } = await blocker.query(
          "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))",
        );
        expect(rows).toHaveLength(1);
        return (rows[0] as { pid: number }).pid;
      },
      { timeout: 10_000, interval: 20 },
    );
    await blocker.query("SELECT pg_terminate_backend($1)", [pid]);
  }

  it("an insert waiting for its owner's row: StoreUnavailableError, no row", async () => {
    // Holds alice's row of owner_inserts, where inserts under a limit queue.
    await blocker.query("BEGIN");
    await blocker.query(
      `INSERT INTO "${schema}".patkit_owner_inserts (owner_hash, inserts) VALUES
        (hashtextextended(jsonb_build_array('user', 'alice', NULL, NULL)::text, 0), 1)`,
    );
    const record = createTestRecord();
    const inserting = failureOf(() =>
      store.insert(record, { maxTokensPerOwner: 10, now: testInstant() }),
    );
    await terminateWaiter();
    expectUnavailable(await inserting, "57P01");
    await blocker.query("ROLLBACK");
    expect(await store.findById(record.id)).toBeNull();
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".patkit_tokens`);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("an update waiting for the row: StoreUnavailableError, record unchanged", async () => {
    const record = createTestRecord();
    await store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
    await blocker.query("BEGIN");
    await blocker.query(`SELECT * FROM "${schema}".patkit_tokens WHERE id = $1 FOR UPDATE`, [
      record.id,
    ]);
    const updating = failureOf(() => store.updateIfVersion(record.id, 1, { name: "changed" }));
    await terminateWaiter();
    expectUnavailable(await updating, "57P01");
    await blocker.query("ROLLBACK");
    const stored = await store.findById(record.id);
    expect(stored?.name).toBe(record.name);
    expect(stored?.version).toBe(1);
  });

  it("a verification whose lookup is cut off rejects; the pool recovers", async () => {
    const tokens = createAccessTokens({ store, access });
    const { secret } = await tokens.create(
      { owner: { kind: "user", userId: "alice" }, name: "t", permissions: ["REPO_READ"] },
      alice,
    );
    await blocker.query("BEGIN");
    await blocker.query(`LOCK TABLE "${schema}".patkit_tokens IN ACCESS EXCLUSIVE MODE`);
    const verifying = failureOf(() => tokens.verifyToken(secret));
    await terminateWaiter();
    expectUnavailable(await verifying, "57P01");
    await blocker.query("ROLLBACK");
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
  });

  it("a statement timeout: StoreUnavailableError, and verify rejects", async () => {
    const impatient = createPool({ max: 2, statement_timeout: 300 });
    try {
      const impatientStore = createPostgresStore({ client: impatient, schema });
      const tokens = createAccessTokens({ store: impatientStore, access });
      const { secret } = await tokens.create(
        { owner: { kind: "user", userId: "alice" }, name: "t", permissions: ["REPO_READ"] },
        alice,
      );
      await blocker.query("BEGIN");
      await blocker.query(`LOCK TABLE "${schema}".patkit_tokens IN ACCESS EXCLUSIVE MODE`);
      expectUnavailable(await failureOf(() => impatientStore.findById("abc")), "57014");
      expectUnavailable(await failureOf(() => tokens.verifyToken(secret)), "57014");
      await blocker.query("ROLLBACK");
    } finally {
      await impatient.end();
    }
  });
});
