// npm run bench:maintenance: runMaintenance on a PostgreSQL table of a million tokens (opt-in:
// it needs DATABASE_URL and a minute or two to bulk-insert). Measures a run with nothing due, a
// run sending 10 000 expiry notices, a run revoking 10 000 unused tokens, and the round trips
// each costs. BENCH_MAINTENANCE_TOKENS sets the table size (default 1 000 000).
import { type AccessTokenEvent, createAccessTokens, createManualClock } from "patkit";
import { createPostgresStore, migrate } from "patkit/postgres";
import pg from "pg";
import { countingClient } from "./counting.js";
import { describeMachine, patkitVersion } from "./environment.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("bench:maintenance needs DATABASE_URL (a PostgreSQL server it may write to)");
  process.exit(2);
}
const size = Number(process.env.BENCH_MAINTENANCE_TOKENS ?? 1_000_000);
const DUE = 10_000;
const SCHEMA = "patkit_bench_maintenance";
const NOW = new Date("2026-06-01T00:00:00.000Z");
const log = (line: string) => process.stdout.write(`${line}\n`);

const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
const elapsed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
};

/**
 * Inserts `count` personal tokens of 1000 users in one statement. `expires` and `lastUsed` are
 * SQL expressions of `g` (the row number) relative to `now`, or NULL.
 */
async function bulkInsert(
  count: number,
  label: string,
  created: string,
  expires: string,
  lastUsed: string,
) {
  const now = `'${NOW.toISOString()}'::timestamptz`;
  await pool.query(
    `INSERT INTO "${SCHEMA}".patkit_tokens (id, name, owner_kind, user_id, repository_permission,
       secret_hash, created_at, created_by, expires_at, last_authenticated_at, version)
     SELECT '${label}' || g, 'bench', 'user', 'u' || (g % 1000), 'REPO_READ',
       sha256(('${label}' || g)::bytea), ${now} + (${created}), 'u' || (g % 1000),
       ${now} + (${expires}), ${now} + (${lastUsed}), 1
     FROM generate_series(1, $1::integer) AS g`,
    [count],
  );
}

try {
  await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await migrate(pool, { schema: SCHEMA });
  log(`patkit maintenance bench: ${size.toLocaleString("en-US")} tokens, ${patkitVersion()}`);
  const [, insertMs] = await elapsed(async () => {
    // Live, expiring 60 to 425 days from now, used within the last 10 days: nothing is due.
    await bulkInsert(
      size,
      "t",
      "- interval '30 days'",
      "interval '60 days' + (g % 365) * interval '1 day'",
      "- (g % 10) * interval '1 day'",
    );
    await pool.query(`ANALYZE "${SCHEMA}".patkit_tokens`);
  });
  log(`bulk insert and ANALYZE: ${(insertMs / 1000).toFixed(1)} s`);

  const counting = countingClient(pool);
  let notices = 0;
  const clock = createManualClock(NOW);
  const tokens = createAccessTokens({
    store: createPostgresStore({ client: counting.client, schema: SCHEMA }),
    clock,
    access: { hasPermission: () => true, isSystemAdmin: () => true },
    onEvent: (event: AccessTokenEvent) => {
      if (event.type === "token.expiring") notices++;
    },
  });
  await tokens.setPolicy({ expiryRequired: false, revokeUnusedAfterDays: 365 }, { userId: "root" });

  const rows: string[] = [];
  async function run(name: string) {
    const before = counting.queries();
    const [result, ms] = await elapsed(() => tokens.runMaintenance({ purgeAfterDays: 90 }));
    const trips = counting.queries() - before;
    const handled = result.notices + result.revoked + result.purged;
    const perToken =
      handled === 0
        ? "-"
        : `${((ms * 1000) / handled).toFixed(0)} µs, ${(trips / handled).toFixed(4)} round trips`;
    rows.push(
      `| ${name} | ${result.notices} | ${result.revoked} | ${result.purged} | ${ms.toFixed(0)} ms | ${trips} | ${perToken} |`,
    );
    log(rows.at(-1) as string);
  }

  log("| run | notices | revoked | purged | time | round trips | per token handled |");
  log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
  await run("nothing due");
  await run("nothing due (again)");
  await bulkInsert(
    DUE,
    "n",
    "- interval '10 days'",
    "interval '5 days' + g * interval '1 second'",
    "- interval '1 day'",
  );
  await pool.query(`ANALYZE "${SCHEMA}".patkit_tokens`);
  await run(`${DUE.toLocaleString("en-US")} due for the 7-day notice`);
  await bulkInsert(DUE, "u", "- interval '400 days'", "NULL", "NULL");
  await pool.query(`ANALYZE "${SCHEMA}".patkit_tokens`);
  await run(`${DUE.toLocaleString("en-US")} unused for over 365 days`);
  await run("nothing due (after the work)");
  const machine = describeMachine();
  log(
    `\n${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage}; notices seen ${notices}`,
  );
  await tokens.close();
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await pool.end();
}
