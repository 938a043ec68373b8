// npm run bench:bitbucket: patkit/bitbucket's list page at start=0 and start=10000 on a
// PostgreSQL table of 100 000 tokens, alone (npm run bench runs the same cases among the rest).
// Needs DATABASE_URL; BENCH_TIME_MS sets each case's time box.

import type { PostgresClient } from "patkit/postgres";
import pg from "pg";
import { bitbucketPagingCases } from "./cases/bitbucket-paging.js";
import { describeMachine, patkitVersion } from "./environment.js";
import { timeBoxFromEnv } from "./harness.js";
import { resultsTable } from "./report.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("bench:bitbucket needs DATABASE_URL (a PostgreSQL server it may write to)");
  process.exit(2);
}
const machine = describeMachine();
const log = (line: string) => process.stdout.write(`${line}\n`);
log(
  `patkit ${patkitVersion()} bitbucket paging bench: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage}`,
);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
try {
  const server = (await pool.query("SHOW server_version")).rows[0]?.server_version;
  log(`PostgreSQL ${server}, node ${process.version}`);
  const results = await bitbucketPagingCases(
    "patkit/bitbucket, PostgreSQL",
    pool as unknown as PostgresClient,
    timeBoxFromEnv(),
  );
  log(`\n${resultsTable(results)}\n`);
  for (const result of results) for (const note of result.notes) log(`- ${note}`);
} finally {
  await pool.end();
}
