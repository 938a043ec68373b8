import {
  type AccessTokenEvent,
  type AccessTokens,
  createAccessTokens,
  createManualClock,
  DAY_MS,
  type ManualClock,
} from "patkit";
import { createPostgresStore, type PostgresClient } from "patkit/postgres";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPool, DATABASE_URL, describeOnBackends, freshSchema, type Sql } from "./support.js";

const START = new Date("2026-01-01T00:00:00.000Z");
const access = { hasPermission: () => true, isSystemAdmin: (userId: string) => userId === "root" };

/**
 * Inserts `count` personal tokens in one statement: token `i` is created at START, owned by
 * user `u<i % 50>`, and expires `expiresIn(i)` after START (SQL interval text) or never.
 */
async function insertTokens(
  client: Sql,
  schema: string,
  count: number,
  expiresIn: string | null,
  lastUsed: string | null = null,
): Promise<void> {
  const start = `'${START.toISOString()}'::timestamptz`;
  await client.query(
    `INSERT INTO "${schema}".patkit_tokens (id, name, owner_kind, user_id, repository_permission,
       secret_hash, created_at, created_by, expires_at, last_authenticated_at, version)
     SELECT 'tok' || g || '_' || md5(random()::text), 'bulk', 'user', 'u' || (g % 50), 'REPO_READ',
       decode(md5(g::text) || md5(g::text), 'hex'), ${start}, 'u' || (g % 50),
       ${expiresIn === null ? "NULL" : `${start} + ${expiresIn}`},
       ${lastUsed === null ? "NULL" : `${start} + ${lastUsed}`}, 1
     FROM generate_series(1, $1::integer) AS g`,
    [count],
  );
}

/** A client that remembers every statement it runs, to EXPLAIN them afterwards. */
function recording(client: PostgresClient) {
  const statements: { text: string; values: unknown[] }[] = [];
  const wrapper: PostgresClient = {
    query: ((text: string, values?: unknown[]) => {
      statements.push({ text, values: values ?? [] });
      return client.query(text, values);
    }) as PostgresClient["query"],
  };
  return { wrapper, statements };
}

describeOnBackends("maintenance queries", (client) => {
  let schema: string;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(client(), "mplan"));
  });
  afterEach(async () => {
    await drop();
  });

  it("finds and changes due notices, unused and purgeable tokens without a sequential scan", async () => {
    // 20 000 tokens: most expire in a year and were used yesterday, a few are due.
    await insertTokens(client(), schema, 20_000, "interval '365 days'", "interval '99 days'");
    await insertTokens(client(), schema, 30, "interval '110 days'");
    await insertTokens(client(), schema, 30, null);
    await client().query(`ANALYZE "${schema}".patkit_tokens`);
    const { wrapper, statements } = recording(client());
    const store = createPostgresStore({ client: wrapper, schema });
    const now = new Date(START.getTime() + 100 * DAY_MS);
    const due = await store.findDueNotices({ days: [30, 7, 1], now, limit: 500 });
    expect(due).toHaveLength(30);
    const unusedSince = new Date(now.getTime() - 90 * DAY_MS);
    const dueQuery = statements.at(-1);
    await store.claimNotices(due.map(({ record }) => ({ id: record.id, from: null, to: 30 })));
    const claimQuery = statements.at(-1);
    await store.revokeUnused({ unusedSince, now, limit: 500 });
    const unusedQuery = statements.at(-1);
    await store.purge(now, 500);
    const purgeQuery = statements.at(-1);
    for (const statement of [dueQuery, claimQuery, unusedQuery, purgeQuery]) {
      const { rows } = await client().query(
        `EXPLAIN (FORMAT JSON) ${statement?.text}`,
        statement?.values,
      );
      const plan = JSON.stringify(rows);
      expect(plan).toContain("Index");
      expect(plan, statement?.text).not.toMatch(/"Node Type":\s*"Seq Scan"/);
    }
  });
});

describe.skipIf(!DATABASE_URL)("maintenance on a PostgreSQL server, many instances at once", () => {
  let admin: pg.Pool;
  let schema: string;
  let drop: () => Promise<void>;
  let clock: ManualClock;
  let pools: pg.Pool[] = [];
  beforeAll(() => {
    admin = createPool();
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(admin, "mconc"));
    clock = createManualClock(START);
  });
  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    pools = [];
    await drop();
  });

  /** `count` services, each with its own pool (as separate servers would have), and their events. */
  function instances(count: number, onEvent?: (event: AccessTokenEvent) => unknown) {
    return Array.from({ length: count }, () => {
      const pool = createPool({ max: 3 });
      pools.push(pool);
      const events: AccessTokenEvent[] = [];
      const tokens = createAccessTokens({
        store: createPostgresStore({ client: pool, schema }),
        clock,
        access,
        onEvent: (event) => {
          events.push(event);
          return onEvent?.(event);
        },
      });
      return { tokens, events };
    });
  }

  function noticeIds(events: readonly AccessTokenEvent[]): string[] {
    return events
      .filter((event) => event.type === "token.expiring" || event.type === "token.expired")
      .map((event) => `${event.type}:${event.token?.id}`);
  }

  async function runAll(services: readonly { tokens: AccessTokens }[]) {
    return Promise.all(services.map((service) => service.tokens.runMaintenance()));
  }

  it.each([2, 8])(
    "sends each notice once in total when %i instances run at the same moment",
    async (count) => {
      // 1200 tokens due for their 7-day notice, 300 for token.expired: several batches each.
      await insertTokens(admin, schema, 1200, "interval '5 days'");
      await insertTokens(admin, schema, 300, "interval '-1 hour'");
      const services = instances(count);
      const results = await runAll(services);
      const all = services.flatMap((service) => noticeIds(service.events));
      expect(all).toHaveLength(1500);
      expect(new Set(all).size).toBe(1500);
      expect(results.reduce((sum, result) => sum + result.notices, 0)).toBe(1500);
      expect(all.filter((id) => id.startsWith("token.expired"))).toHaveLength(300);
      // Again, all at once: nothing is left to send.
      const again = await runAll(services);
      expect(again.every((result) => result.notices === 0)).toBe(true);
    },
  );

  it.each([2, 8])(
    "revokes each unused token once in total when %i instances run at once",
    async (count) => {
      await insertTokens(admin, schema, 1100, null);
      await insertTokens(admin, schema, 100, null, "interval '95 days'");
      const [first] = instances(1);
      await first?.tokens.setPolicy(
        { expiryRequired: false, revokeUnusedAfterDays: 90 },
        { userId: "root" },
      );
      clock.set(START.getTime() + 100 * DAY_MS);
      const services = instances(count);
      const results = await runAll(services);
      const revoked = services.flatMap((service) =>
        service.events
          .filter((event) => event.type === "token.revoked")
          .map((event) => event.token?.id),
      );
      expect(results.reduce((sum, result) => sum + result.revoked, 0)).toBe(1100);
      expect(new Set(revoked).size).toBe(1100);
      expect(revoked).toHaveLength(1100);
    },
  );

  it("finishes the job after a run that failed half-way, sending nothing twice", async () => {
    await insertTokens(admin, schema, 1200, "interval '20 days'");
    const sent: string[] = [];
    const pool = createPool({ max: 2 });
    pools.push(pool);
    let claims = 0;
    // The second claim of the first run fails, as a lost connection would.
    const failing: PostgresClient = {
      query: ((text: string, values?: unknown[]) => {
        if (
          text.includes("json_to_recordset") &&
          text.includes("expiry_notice_days") &&
          ++claims === 2
        ) {
          return Promise.reject(
            Object.assign(new Error("connection lost"), { code: "ECONNRESET" }),
          );
        }
        return pool.query(text, values);
      }) as PostgresClient["query"],
    };
    const make = (client: PostgresClient) =>
      createAccessTokens({
        store: createPostgresStore({ client, schema }),
        clock,
        access,
        onEvent: (event) => {
          if (event.type === "token.expiring") sent.push(event.token.id);
        },
      });
    await expect(make(failing).runMaintenance()).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
    });
    expect(sent).toHaveLength(500);
    expect((await make(pool).runMaintenance()).notices).toBe(700);
    expect(new Set(sent).size).toBe(1200);
    expect(sent).toHaveLength(1200);
  });
});
