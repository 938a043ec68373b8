import type { PGlite } from "@electric-sql/pglite";
import { StoreUnavailableError } from "patkit";
import { createPostgresStore, type ListenerConnection, type PostgresStore } from "patkit/postgres";
import type { StoreChange, TokenRecord } from "patkit/store";
import { createTestRecord, testInstant } from "patkit/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createPGlite, createPool, DATABASE_URL, freshSchema } from "./support.js";

/** Collects what a store's watch reports. */
async function watching(store: PostgresStore) {
  const changes: StoreChange[] = [];
  const unwatch = await (store.watch as NonNullable<PostgresStore["watch"]>)((change) =>
    changes.push(change),
  );
  return {
    changes,
    unwatch,
    reported: (change: StoreChange) =>
      vi.waitFor(() => expect(changes).toContainEqual(change), { timeout: 10_000, interval: 10 }),
  };
}

async function insert(store: PostgresStore, overrides: Partial<TokenRecord> = {}) {
  const record = createTestRecord(overrides);
  await store.insert(record, { maxTokensPerOwner: null, now: testInstant() });
  return record;
}

describe("watch on PGlite", () => {
  let db: PGlite;
  let schema: string;
  let drop: () => Promise<void>;
  let store: PostgresStore;

  beforeAll(async () => {
    db = await createPGlite();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(db, "watch"));
    store = createPostgresStore({ client: db, schema });
  });
  afterEach(async () => {
    await drop();
  });

  it("reports changes made by plain SQL too: the trigger covers every write path", async () => {
    const record = await insert(store);
    const watch = await watching(store);
    try {
      await db.query(`UPDATE "${schema}".patkit_tokens SET revoked_at = now() WHERE id = $1`, [
        record.id,
      ]);
      await watch.reported({ kind: "token", id: record.id });
      watch.changes.length = 0;
      await db.query(`DELETE FROM "${schema}".patkit_tokens WHERE id = $1`, [record.id]);
      await watch.reported({ kind: "token", id: record.id });
    } finally {
      await watch.unwatch();
    }
  });

  it("reports new tokens", async () => {
    const watch = await watching(store);
    try {
      const record = await insert(store);
      await watch.reported({ kind: "token", id: record.id });
    } finally {
      await watch.unwatch();
    }
  });

  it("does not report last-authenticated touches", async () => {
    const touched = await insert(store);
    const edited = await insert(store);
    const watch = await watching(store);
    try {
      await store.touchLastAuthenticated([{ id: touched.id, at: testInstant(60_000) }]);
      await store.updateIfVersion(edited.id, 1, { name: "edited" });
      // Notifications arrive in commit order: once the edit is heard, a touch would have been.
      await watch.reported({ kind: "token", id: edited.id });
      expect(watch.changes).not.toContainEqual({ kind: "token", id: touched.id });
    } finally {
      await watch.unwatch();
    }
  });

  it("does not report a change that was rolled back", async () => {
    const rolledBack = await insert(store);
    const edited = await insert(store);
    const watch = await watching(store);
    try {
      await db
        .transaction(async (tx) => {
          await tx.query(`UPDATE "${schema}".patkit_tokens SET name = 'x' WHERE id = $1`, [
            rolledBack.id,
          ]);
          throw new Error("roll back");
        })
        .catch(() => undefined);
      await store.updateIfVersion(edited.id, 1, { name: "edited" });
      await watch.reported({ kind: "token", id: edited.id });
      expect(watch.changes).not.toContainEqual({ kind: "token", id: rolledBack.id });
    } finally {
      await watch.unwatch();
    }
  });

  it("shares one subscription among listeners that come and go concurrently", async () => {
    const record = await insert(store);
    const first = await Promise.all([watching(store), watching(store), watching(store)]);
    await Promise.all(first.map((watch) => watch.unwatch()));
    const [late, early] = await Promise.all([watching(store), watching(store)]);
    try {
      await early?.unwatch();
      await store.updateIfVersion(record.id, 1, { name: "renamed" });
      await late?.reported({ kind: "token", id: record.id });
      expect(early?.changes).toEqual([]);
    } finally {
      await late?.unwatch();
    }
  });

  it("lets a second listener start listening when the first start fails", async () => {
    let failures = 1;
    const flaky = {
      query: (text: string, values?: unknown[]) => db.query(text, values),
      listen: (channel: string, callback: (payload: string) => void) => {
        if (failures-- > 0) return Promise.reject(new Error("listen failed"));
        return db.listen(channel, callback);
      },
    };
    const flakyStore = createPostgresStore({ client: flaky, schema });
    const record = await insert(flakyStore);
    const [failed, succeeded] = await Promise.allSettled([
      watching(flakyStore),
      watching(flakyStore),
    ]);
    expect(failed.status === "rejected" && failed.reason).toBeInstanceOf(StoreUnavailableError);
    if (succeeded.status !== "fulfilled") throw succeeded.reason;
    try {
      await flakyStore.revoke(record.id, testInstant(1));
      await succeeded.value.reported({ kind: "token", id: record.id });
    } finally {
      await succeeded.value.unwatch();
    }
  });

  it("has no watch when listening is turned off", () => {
    expect(createPostgresStore({ client: db, schema, listen: false }).watch).toBeUndefined();
  });
});

describe("watch without a way to listen", () => {
  it("is absent for a client that has only query()", () => {
    const client = { query: async () => ({ rows: [] }) };
    expect(createPostgresStore({ client }).watch).toBeUndefined();
  });
});

describe.skipIf(!DATABASE_URL)("watch on a PostgreSQL server (LISTEN connection)", () => {
  let pool: pg.Pool;
  let schema: string;
  let drop: () => Promise<void>;

  beforeAll(() => {
    pool = createPool();
  });
  afterAll(async () => {
    await pool.end();
  });
  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(pool, "listen"));
  });
  afterEach(async () => {
    await drop();
  });

  /** The pids of backends whose last statement was this store's LISTEN. */
  async function listenerPids(store: PostgresStore): Promise<number[]> {
    const { rows } = await pool.query("SELECT pid FROM pg_stat_activity WHERE query = $1", [
      `LISTEN "${store.channel}"`,
    ]);
    return rows.map((row: { pid: number }) => row.pid);
  }

  it("hears changes made through another instance's pool", async () => {
    const writer = createPostgresStore({ client: pool, schema });
    const otherPool = createPool({ max: 2 });
    try {
      const reader = createPostgresStore({
        client: otherPool,
        schema,
        listen: { connect: () => otherPool.connect() },
      });
      const record = await insert(writer);
      const watch = await watching(reader);
      await writer.revoke(record.id, testInstant(1));
      await watch.reported({ kind: "token", id: record.id });
      await watch.unwatch();
    } finally {
      await otherPool.end();
    }
  });

  it("reconnects after its backend is terminated, reports all, then changes again", async () => {
    const store = createPostgresStore({
      client: pool,
      schema,
      listen: { connect: () => pool.connect(), retryDelayMs: 20 },
    });
    const record = await insert(store);
    const watch = await watching(store);
    try {
      const [first] = await listenerPids(store);
      expect(first).toBeDefined();
      await pool.query("SELECT pg_terminate_backend($1)", [first]);

      await watch.reported({ kind: "all" });
      const [second] = await listenerPids(store);
      expect(second).toBeDefined();
      expect(second).not.toBe(first);

      watch.changes.length = 0;
      await store.updateIfVersion(record.id, 1, { name: "after the reconnect" });
      await watch.reported({ kind: "token", id: record.id });
      expect(watch.changes.filter((change) => change.kind === "all")).toEqual([]);
    } finally {
      await watch.unwatch();
    }
    expect(await listenerPids(store)).toEqual([]);
  });

  it("keeps retrying while connections fail, and reports all once it listens again", async () => {
    const refusing = new pg.Pool({ host: "127.0.0.1", port: 1, user: "postgres" });
    let refusalsLeft = 0;
    const store = createPostgresStore({
      client: pool,
      schema,
      listen: {
        connect: () => {
          if (refusalsLeft > 0) {
            refusalsLeft--;
            return refusing.connect();
          }
          return pool.connect();
        },
        retryDelayMs: 10,
      },
    });
    const record = await insert(store);
    const watch = await watching(store);
    try {
      refusalsLeft = 3;
      const [first] = await listenerPids(store);
      await pool.query("SELECT pg_terminate_backend($1)", [first]);
      await watch.reported({ kind: "all" });
      expect(refusalsLeft).toBe(0);
      await store.revoke(record.id, testInstant(2));
      await watch.reported({ kind: "token", id: record.id });
    } finally {
      await watch.unwatch();
      await refusing.end();
    }
  });

  it("ends a dedicated pg Client when the last listener unwatches", async () => {
    const clients: pg.Client[] = [];
    const store = createPostgresStore({
      client: pool,
      schema,
      listen: {
        connect: async (): Promise<ListenerConnection> => {
          const client = new pg.Client(DATABASE_URL);
          await client.connect();
          clients.push(client);
          return client;
        },
      },
    });
    const record = await insert(store);
    const first = await watching(store);
    const second = await watching(store);
    expect(clients).toHaveLength(1);
    await store.updateIfVersion(record.id, 1, { name: "x" });
    await first.reported({ kind: "token", id: record.id });
    await second.reported({ kind: "token", id: record.id });
    await first.unwatch();
    expect(await listenerPids(store)).toHaveLength(1);
    await second.unwatch();
    await vi.waitFor(async () => expect(await listenerPids(store)).toEqual([]), {
      timeout: 10_000,
    });
    await vi.waitFor(async () => {
      const { rows } = await pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1",
        [(clients[0] as unknown as { processID: number }).processID],
      );
      expect(rows).toEqual([{ n: 0 }]);
    });
  });
});
