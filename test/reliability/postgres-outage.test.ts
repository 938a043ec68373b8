import {
  type AccessTokens,
  StoreUnavailableError,
  type TokenStore,
  type VerifyResult,
} from "patkit";
import { createPostgresStore, migrate } from "patkit/postgres";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness } from "../support/host.js";
import { snapshotStore } from "../support/snapshot.js";
import {
  createPool,
  createPoolThrough,
  DATABASE_URL,
  serverAddress,
  uniqueSchema,
} from "../support/stores.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

// Only this file's own connections are cut: through a proxy it owns, or by terminating the
// backends that carry its own application_name. The shared server itself keeps running.
const readToken = { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] } as const;

/** Tries `attempt` until it is ok, allowing only StoreUnavailableError on the way. */
async function recovers(attempt: () => Promise<VerifyResult>, tries = 50): Promise<VerifyResult> {
  for (let i = 0; ; i++) {
    try {
      const result = await attempt();
      expect(result.ok).toBe(true);
      return result;
    } catch (error) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      if (i >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
}

describe.skipIf(!DATABASE_URL)("a real PostgreSQL server that goes away and comes back", () => {
  const applicationName = `patkit-outage-${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  let admin: pg.Pool;
  let proxy: TcpProxy;
  let app: pg.Pool;
  let schema: string;
  let inner: TokenStore;
  let observer: TokenStore;
  let tokens: AccessTokens;

  beforeAll(async () => {
    admin = createPool({ application_name: `${applicationName}-admin`, max: 3 });
    proxy = await startTcpProxy(serverAddress());
    app = createPoolThrough(proxy.port, { application_name: applicationName, max: 4 });
    schema = uniqueSchema("outage");
    await migrate(admin, { schema });
    inner = createPostgresStore({ client: app, schema });
    // Reads the same tables over connections this file never cuts.
    observer = createPostgresStore({ client: admin, schema });
  });
  afterAll(async () => {
    await app?.end();
    await proxy?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });
  beforeEach(async () => {
    await proxy.start().catch(() => undefined);
    tokens = createHarness({ store: inner }).tokens;
  });
  // A verify's last-authenticated write is batched: it must land before the next test takes its
  // snapshot, or that snapshot sees a write this test never made.
  afterEach(async () => {
    await proxy.start().catch(() => undefined);
    await tokens.close();
  });

  /** The backends of this file's application pool, as the server lists them. */
  async function appBackends(where = "true"): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND ${where}`,
      [applicationName],
    );
    return rows.map((row) => row.pid);
  }

  async function terminate(pids: number[]): Promise<void> {
    for (const pid of pids) await admin.query("SELECT pg_terminate_backend($1)", [pid]);
  }

  /** Waits until one of the app's backends waits on a lock, and returns its pid. */
  async function blockedBackend(): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const [pid] = await appBackends("wait_event_type = 'Lock'");
      if (pid !== undefined) return pid;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("no backend of this test ever waited on the lock");
  }

  /** Runs `during` while an admin transaction holds `lock`, then rolls the transaction back. */
  async function whileLocked(lock: string, values: unknown[], during: () => Promise<void>) {
    const holder = await admin.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(lock, values);
      await during();
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
  }

  it("with the server unreachable, verify fails closed and writes leave nothing; it recovers alone", async () => {
    const created = await tokens.create(readToken, alice);
    expect(await tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
    await tokens.flush();
    const before = await snapshotStore(observer);

    await proxy.stop();
    for (let i = 0; i < 3; i++) {
      expect(await rejection(tokens.verifyToken(created.secret))).toBeInstanceOf(
        StoreUnavailableError,
      );
    }
    for (const write of [
      () => tokens.create(readToken, alice),
      () => tokens.update(created.token.id, { name: "renamed" }, alice),
      () => tokens.revoke(created.token.id, alice),
      () => tokens.setPolicy({ expiryRequired: true }, { userId: "root" }),
    ]) {
      const error = await rejection(write());
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toBeDefined();
    }
    expect(await snapshotStore(observer)).toBe(before);

    await proxy.start();
    await recovers(() => tokens.verifyToken(created.secret));
    expect(await tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
    await tokens.revoke(created.token.id, alice);
    expect(await tokens.verifyToken(created.secret)).toMatchObject({ reason: "revoked" });
  });

  it("with its idle connections terminated, the service recovers without help", async () => {
    const created = await tokens.create(readToken, alice);
    await Promise.all(Array.from({ length: 4 }, () => tokens.verifyToken(created.secret)));
    const pids = await appBackends();
    expect(pids.length).toBeGreaterThan(0);
    await terminate(pids);
    await recovers(() => tokens.verifyToken(created.secret));
    const after = await Promise.all(
      Array.from({ length: 8 }, () => tokens.verifyToken(created.secret)),
    );
    for (const result of after) expect(result).toMatchObject({ ok: true });
    expect((await appBackends()).some((pid) => pids.includes(pid))).toBe(false);
  });

  it("a verify whose backend is terminated mid-query fails closed", async () => {
    const created = await tokens.create(readToken, alice);
    await whileLocked(
      `LOCK TABLE "${schema}"."patkit_tokens" IN ACCESS EXCLUSIVE MODE`,
      [],
      async () => {
        const verifying = rejection(tokens.verifyToken(created.secret));
        await terminate([await blockedBackend()]);
        expect(await verifying).toBeInstanceOf(StoreUnavailableError);
      },
    );
    await recovers(() => tokens.verifyToken(created.secret));
  });

  const writes: [string, string, (id: string) => Promise<unknown>][] = [
    [
      "a revoke",
      `SELECT 1 FROM "%s"."patkit_tokens" WHERE id = $1 FOR UPDATE`,
      (id) => tokens.revoke(id, alice),
    ],
    [
      "an update",
      `SELECT 1 FROM "%s"."patkit_tokens" WHERE id = $1 FOR UPDATE`,
      (id) => tokens.update(id, { name: "renamed", permissions: ["REPO_WRITE"] }, alice),
    ],
    [
      "a create",
      `LOCK TABLE "%s"."patkit_tokens" IN SHARE ROW EXCLUSIVE MODE`,
      () => tokens.create({ ...readToken, name: "new" }, alice),
    ],
  ];
  for (const [name, lock, write] of writes) {
    it(`${name} whose backend is terminated mid-statement leaves no partial state, and succeeds on retry`, async () => {
      const created = await tokens.create(readToken, alice);
      const before = await snapshotStore(observer);
      const sql = lock.replace("%s", schema);
      await whileLocked(sql, sql.includes("$1") ? [created.token.id] : [], async () => {
        const writing = rejection(write(created.token.id));
        await terminate([await blockedBackend()]);
        const error = await writing;
        expect(error).toBeInstanceOf(StoreUnavailableError);
      });
      expect(await snapshotStore(observer)).toBe(before);
      await recovers(() => tokens.verifyToken(created.secret));
      await write(created.token.id);
      expect(await snapshotStore(observer)).not.toBe(before);
    });
  }
});
