// The lifecycle cases alone (rotate, revokeLeaked, verify with clientIp and rateLimit), for a
// quick look without the whole bench: npx tsx bench/lifecycle.ts (BENCH_TIME_MS, DATABASE_URL).
// npm run bench runs the same cases among the others.
import { PGlite } from "@electric-sql/pglite";
import { createMemoryStore } from "patkit/memory";
import { createPostgresStore, migrate, type PostgresClient } from "patkit/postgres";
import pg from "pg";
import { revokeLeakedCase, rotateCase, verifyOptionCases } from "./cases/lifecycle.js";
import { accessTokensOn } from "./fixtures.js";
import { type CaseResult, timeBoxFromEnv } from "./harness.js";

const box = timeBoxFromEnv();
const print = (result: CaseResult) =>
  process.stdout.write(
    `${result.group} | ${result.name} | ${Math.round(result.opsPerSecond).toLocaleString("en-US")} ops/s | p50 ${result.p50Us.toFixed(0)} us | p99 ${result.p99Us.toFixed(0)} us${result.notes.length > 0 ? ` | ${result.notes.join("; ")}` : ""}\n`,
  );

for (const result of await verifyOptionCases(box)) print(result);
print(await rotateCase("patkit, memory store", accessTokensOn(createMemoryStore()), box));
print(await revokeLeakedCase("patkit, memory store", accessTokensOn(createMemoryStore()), box));

const lite = new PGlite();
await migrate(lite as unknown as PostgresClient);
const liteTokens = accessTokensOn(
  createPostgresStore({ client: lite as unknown as PostgresClient }),
);
print(await rotateCase("patkit, PGlite", liteTokens, box));
await lite.close();

if (process.env.DATABASE_URL) {
  const schema = "patkit_bench_lifecycle";
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const client = pool as unknown as PostgresClient;
  await migrate(client, { schema });
  const tokens = accessTokensOn(createPostgresStore({ client, schema }));
  print(await rotateCase("patkit, PostgreSQL", tokens, box));
  print(await revokeLeakedCase("patkit, PostgreSQL", tokens, box));
  await tokens.close();
  await pool.end();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
