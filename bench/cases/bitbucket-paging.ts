import { createAccessTokens } from "patkit";
import { createBitbucketApi } from "patkit/bitbucket";
import { createPostgresStore, migrate, type PostgresClient } from "patkit/postgres";
import { type CaseResult, measure, type TimeBox } from "../harness.js";

/** The schema the paging cases fill (dropped first). */
export const PAGING_SCHEMA = "patkit_bench_bitbucket";

/**
 * patkit/bitbucket's list page through the whole handler (routing, sign-in, resolvers,
 * tokens.list, JSON) on a PostgreSQL table of `size` project tokens of one project, one in 50
 * revoked: `GET .../projects/BENCH?start=0&limit=25` and `?start=10000&limit=25`. The offset
 * runs in SQL over the project's index; the note says how many rows each page's plan reads.
 */
export async function bitbucketPagingCases(
  group: string,
  client: PostgresClient,
  box: TimeBox,
  size = 100_000,
): Promise<CaseResult[]> {
  await client.query(`DROP SCHEMA IF EXISTS "${PAGING_SCHEMA}" CASCADE`);
  await migrate(client, { schema: PAGING_SCHEMA });
  await client.query(
    `INSERT INTO "${PAGING_SCHEMA}".patkit_tokens (id, name, owner_kind, project_id,
       project_permission, repository_permission, secret_hash, created_at, created_by,
       revoked_at, version)
     SELECT 'b' || g, 'token ' || g, 'project', 'p-bench', 'PROJECT_READ', 'REPO_READ',
       sha256(('b' || g)::text::bytea), timestamptz '2026-01-01' + g * interval '1 second',
       'bench-admin', CASE WHEN g % 50 = 0 THEN timestamptz '2026-06-01' END, 1
     FROM generate_series(1, $1::integer) AS g`,
    [size],
  );
  await client.query(`ANALYZE "${PAGING_SCHEMA}".patkit_tokens`);
  const tokens = createAccessTokens({
    store: createPostgresStore({ client, schema: PAGING_SCHEMA, listen: false }),
    access: { hasPermission: () => true, isSystemAdmin: () => false },
  });
  const handle = createBitbucketApi({
    tokens,
    authenticate: () => ({ userId: "bench-admin", via: "session" }),
    resolveUser: () => null,
    resolveProject: (key) => (key === "BENCH" ? "p-bench" : null),
    resolveRepository: () => null,
  });
  const results: CaseResult[] = [];
  for (const start of [0, 10_000]) {
    const url = `http://bench/rest/access-tokens/latest/projects/BENCH?start=${start}&limit=25`;
    const first = await handle(new Request(url));
    const page = (await first?.json()) as { size: number; start: number } | undefined;
    if (first?.status !== 200 || page?.size !== 25 || page.start !== start) {
      throw new Error(`the page at start=${start} answered ${first?.status}`);
    }
    const result = await measure(
      {
        group,
        name: `Bitbucket list page, start=${start} (of ${size.toLocaleString("en-US")})`,
        async: async () => {
          const response = await handle(new Request(url));
          await response?.arrayBuffer();
        },
      },
      box,
    );
    result.notes.push(await planNote(client, start));
    results.push(result);
  }
  await tokens.close();
  await client.query(`DROP SCHEMA IF EXISTS "${PAGING_SCHEMA}" CASCADE`);
  return results;
}

/** What the page's statement does in PostgreSQL: its top plan node and the rows it touched. */
async function planNote(client: PostgresClient, start: number): Promise<string> {
  const { rows } = await client.query(
    `EXPLAIN (ANALYZE, FORMAT TEXT) SELECT id FROM "${PAGING_SCHEMA}".patkit_tokens AS t
     WHERE owner_kind = 'project' AND project_id = 'p-bench'
       AND (revoked_at IS NULL OR revoked_at > $1::timestamptz)
     ORDER BY t.created_at, t.id OFFSET ${start} LIMIT 26`,
    [new Date()],
  );
  const plan = (rows as { "QUERY PLAN": string }[]).map((row) => row["QUERY PLAN"]);
  const scan = plan.find((line) => /Scan/.test(line))?.trim() ?? "?";
  const execution = plan.find((line) => line.startsWith("Execution Time")) ?? "";
  return `start=${start}: ${scan.replace(/\s+\(cost=[^)]*\)/, "")}; ${execution}`;
}
