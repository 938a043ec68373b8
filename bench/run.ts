// npm run bench: measures patkit against its floor and its peers in one run, prints the table and
// writes it into docs/benchmarks.md. Measurement code, not tests: `npm test` never runs it.
// BENCH_TIME_MS sets each case's time box (default 2000 ms, plus a quarter of it to warm up);
// DATABASE_URL adds the PostgreSQL server cases (pg Pool of 10).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { createMemoryStore } from "patkit/memory";
import type { PostgresClient } from "patkit/postgres";
import pg from "pg";
import { BUNDLE_LIMIT_BYTES } from "../scripts/bundle-size.mjs";
import { type ApiKeyPlugin, loadApiKeyPlugin, prepareBetterAuth } from "./cases/better-auth.js";
import { bitbucketPagingCases } from "./cases/bitbucket-paging.js";
import { measureColdStart } from "./cases/cold-start.js";
import { floorSpecs } from "./cases/floor.js";
import { revokeLeakedCase, rotateCase, verifyOptionCases } from "./cases/lifecycle.js";
import { managementCases } from "./cases/management.js";
import { memoryVerifyCases } from "./cases/memory-store.js";
import { prepareNaiveSelect } from "./cases/naive-select.js";
import {
  BENCH_SCHEMA,
  cacheOptionSupported,
  loadPostgresAdapter,
  preparePostgresCases,
} from "./cases/postgres.js";
import { describeMachine, packageVersion, patkitVersion } from "./environment.js";
import { accessTokensOn } from "./fixtures.js";
import { type CaseResult, measure, measureInterleaved, timeBoxFromEnv } from "./harness.js";
import { type Ratio, ratio, renderReport, replaceGenerated, resultsTable } from "./report.js";

const started = performance.now();
const box = timeBoxFromEnv();
const results: CaseResult[] = [];
const facts: string[] = [];
const skipped: string[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);
const add = (result: CaseResult) => {
  results.push(result);
  log(
    `  ${result.group} | ${result.name} | ${result.inFlight} in flight: ` +
      `${Math.round(result.opsPerSecond).toLocaleString("en-US")} ops/s`,
  );
  return result;
};

const versions: Record<string, string> = {
  node: process.version,
  patkit: patkitVersion(),
  "@noble/hashes": packageVersion("@noble/hashes"),
  pg: packageVersion("pg"),
  PGlite: packageVersion("@electric-sql/pglite"),
  "better-auth": packageVersion("better-auth"),
  "@better-auth/api-key": apiKeyPluginVersion(),
};

const machine = describeMachine();
log(`patkit bench: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage}`);
log(`time box ${box.measureMs} ms per case after ${box.warmupMs} ms of warm-up\n`);

// Floor and the memory store, alternating so that every ratio among them meets the same machine.
const memory = await memoryVerifyCases();
const floor = floorSpecs(memory.secret);
const memoryGroup = (
  await measureInterleaved(
    [
      floor.sha256,
      memory.valid,
      floor.hmac,
      memory.pepper,
      memory.requirement,
      memory.unknown,
      memory.badChecksum,
      memory.expired,
    ],
    box,
    4,
  )
).map(add);
const [floorSha, memoryValid, floorHmac, memoryHmac] = memoryGroup;
await memory.flush();

// Memory per token, in a child process with --expose-gc.
const footprint = measureFootprint(100_000);
facts.push(
  `memory store: ${Math.round(footprint.bytesPerToken)} bytes of heap per token ` +
    `(${(footprint.heapDeltaBytes / 1024 ** 2).toFixed(1)} MB for ${footprint.tokens.toLocaleString("en-US")} tokens, ` +
    `heap after gc, created through tokens.create in ${footprint.createSeconds.toFixed(1)} s)`,
);
log(`  memory store: ${Math.round(footprint.bytesPerToken)} bytes per token`);

// Cold start and bundle size, from the built package in fresh processes.
const cold = await measureColdStart();
facts.push(
  `cold start: import("patkit") + import("patkit/memory") ${cold.patkitMs.toFixed(1)} ms, ` +
    `import("@noble/hashes/sha2") ${cold.nobleMs.toFixed(1)} ms (median of ${cold.runs} fresh ` +
    `processes each, alternating): ${(cold.patkitMs / cold.nobleMs).toFixed(2)}x (target: at most 3x)`,
  `bundle of createAccessTokens + createMemoryStore (esbuild --bundle --minify ` +
    `--platform=neutral): ${(cold.bundle.minified / 1024).toFixed(1)} KB minified, ` +
    `${(cold.bundle.gzipped / 1024).toFixed(1)} KB gzipped (budget ${(BUNDLE_LIMIT_BYTES / 1024).toFixed(0)} KB, ` +
    `npm run check:package fails beyond it; v0.1's target was 20 KB)`,
);
log(
  `  cold start: ${cold.patkitMs.toFixed(1)} ms vs ${cold.nobleMs.toFixed(1)} ms; ` +
    `bundle ${cold.bundle.gzipped} bytes gzipped`,
);

for (const result of await managementCases(
  "patkit, memory store",
  accessTokensOn(createMemoryStore()),
  box,
))
  add(result);
const [verifyPlain, verifyWithIp, verifyWithLimit] = (await verifyOptionCases(box)).map(add);
add(await rotateCase("patkit, memory store", accessTokensOn(createMemoryStore()), box));
add(await revokeLeakedCase("patkit, memory store", accessTokensOn(createMemoryStore()), box));

// PGlite, and PostgreSQL through pg when DATABASE_URL is set.
const adapter = await loadPostgresAdapter();
const cacheSupported = cacheOptionSupported();
const liteVerify = new Map<number, CaseResult>();
const liteNaiveResults = new Map<number, CaseResult>();
const pgVerify = new Map<number, CaseResult>();
const naive = new Map<number, CaseResult>();
let cached: CaseResult | null = null;
if (!adapter) {
  skipped.push(
    "PGlite and PostgreSQL cases: patkit/postgres (src/adapters/postgres) is not there yet.",
  );
} else {
  const lite = new PGlite();
  await lite.waitReady;
  const liteClient = lite as unknown as PostgresClient;
  const liteCases = await preparePostgresCases({
    adapter,
    group: "patkit, PGlite",
    client: liteClient,
    box,
  });
  const liteNaive = await prepareNaiveSelect("naive, PGlite", liteClient);
  let first: CaseResult | undefined;
  for (const inFlight of [1, 64]) {
    const [patkit, peer] = await liteCases.verify(inFlight, [liteNaive(inFlight)]);
    first ??= patkit;
    liteVerify.set(inFlight, add(patkit as CaseResult));
    liteNaiveResults.set(inFlight, add(peer as CaseResult));
  }
  await liteCases.finish(first);
  const version = (await lite.query<{ server_version: string }>("SHOW server_version")).rows[0]
    ?.server_version;
  facts.push(
    `PGlite runs PostgreSQL ${version} in process (WASM, one connection): 64 in flight queue on it.`,
  );
  await lite.close();

  const url = process.env.DATABASE_URL;
  if (!url) {
    skipped.push("PostgreSQL server cases: DATABASE_URL is not set.");
  } else {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${BENCH_SCHEMA} CASCADE`);
    const serverVersion = (await admin.query("SHOW server_version")).rows[0]?.server_version;
    versions["PostgreSQL server"] = String(serverVersion);
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const client = pool as unknown as PostgresClient;
    const cases = await preparePostgresCases({
      adapter,
      group: "patkit, PostgreSQL",
      client,
      box,
    });
    const naiveSelect = await prepareNaiveSelect("naive, PostgreSQL", client);
    for (const inFlight of [1, 64]) {
      const [patkit, peer] = await cases.verify(inFlight, [naiveSelect(inFlight)]);
      pgVerify.set(inFlight, add(patkit as CaseResult));
      naive.set(inFlight, add(peer as CaseResult));
    }
    await cases.finish(pgVerify.get(1));
    if (cacheSupported) {
      cached = add(
        await cases.verifyCached(64, {
          connect: async () => {
            const listener = new pg.Client({ connectionString: url });
            await listener.connect();
            return listener;
          },
        }),
      );
    } else {
      skipped.push("Cache case: createAccessTokens has no `cache` option yet.");
    }
    for (const result of await managementCases("patkit, PostgreSQL", cases.tokens, box))
      add(result);
    add(await rotateCase("patkit, PostgreSQL", cases.tokens, box));
    add(await revokeLeakedCase("patkit, PostgreSQL", cases.tokens, box));
    for (const result of await bitbucketPagingCases("patkit/bitbucket, PostgreSQL", client, box))
      add(result);
    await cases.tokens.flush();
    await pool.end();
    await admin.end();
  }
}

// better-auth last: once its endpoints have run, async context tracking (AsyncLocalStorage) stays
// on in this process and every later await costs more (patkit's memory verify lost about 15%).
const apiKey: ApiKeyPlugin | null = await loadApiKeyPlugin();
let betterAuthMemory: CaseResult | null = null;
if (!apiKey) {
  skipped.push(
    "better-auth API-key cases: since better-auth 1.7 the apiKey plugin is the separate package " +
      "@better-auth/api-key, which is not installed (see docs/benchmarks.md).",
  );
} else {
  const verify = await prepareBetterAuth(apiKey, "memory", "better-auth, memory adapter");
  betterAuthMemory = add(await measure(verify(1), box));
  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${BENCH_SCHEMA}_better_auth CASCADE`);
    await admin.query(`CREATE SCHEMA ${BENCH_SCHEMA}_better_auth`);
    await admin.end();
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      options: `-c search_path=${BENCH_SCHEMA}_better_auth`,
    });
    const verifyOnPostgres = await prepareBetterAuth(apiKey, pool, "better-auth, PostgreSQL");
    for (const inFlight of [1, 64]) add(await measure(verifyOnPostgres(inFlight), box));
    await pool.end();
  }
}

const ratios: Ratio[] = [
  ratio("memory verify / floor (SHA-256)", memoryValid, floorSha, 0.5, true),
  ratio("memory verify with pepper / floor (HMAC-SHA-256)", memoryHmac, floorHmac, 0.5, true),
  ratio("memory verify / better-auth memory verify", memoryValid, betterAuthMemory, 100, true),
  ratio(
    "PGlite verify / naive SELECT, 1 in flight",
    liteVerify.get(1),
    liteNaiveResults.get(1),
    0.9,
  ),
  ratio(
    "PGlite verify / naive SELECT, 64 in flight",
    liteVerify.get(64),
    liteNaiveResults.get(64),
    0.9,
  ),
  ratio("PostgreSQL verify / naive SELECT, 1 in flight", pgVerify.get(1), naive.get(1), 0.9),
  ratio("PostgreSQL verify / naive SELECT, 64 in flight", pgVerify.get(64), naive.get(64), 0.9),
  ratio("cache on PostgreSQL (64 in flight) / memory verify", cached, memoryValid, 0.5),
  ratio("memory verify with clientIp / plain", verifyWithIp, verifyPlain, 0.9, true),
  ratio("memory verify with rateLimit / plain", verifyWithLimit, verifyPlain, 0.9, true),
];

const seconds = (performance.now() - started) / 1000;
const report = {
  environment: { ...machine, versions },
  timeBox: `${box.measureMs} ms per case after ${box.warmupMs} ms warm-up`,
  results,
  ratios,
  facts,
  skipped,
  seconds,
};
log(`\n${resultsTable(results)}\n`);
log(
  renderReport(report)
    .split("\n")
    .filter((line) => line.startsWith("- "))
    .join("\n"),
);

const docs = fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url));
const current = existsSync(docs) ? readFileSync(docs, "utf8") : "# Benchmarks\n";
writeFileSync(docs, replaceGenerated(current, renderReport(report)));
log(`\nWrote ${docs} (${seconds.toFixed(0)} s).`);

function apiKeyPluginVersion(): string {
  const from = process.env.BENCH_BETTER_AUTH_API_KEY;
  if (!from) return packageVersion("@better-auth/api-key");
  try {
    const pkg = join(dirname(dirname(resolve(from))), "package.json");
    const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version: string };
    return `${version} (loaded from BENCH_BETTER_AUTH_API_KEY, not a dependency)`;
  } catch {
    return "loaded from BENCH_BETTER_AUTH_API_KEY";
  }
}

function measureFootprint(count: number) {
  const script = fileURLToPath(new URL("./memory-footprint.ts", import.meta.url));
  const output = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", script, String(count)],
    { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8" },
  );
  return JSON.parse(output.trim().split("\n").at(-1) as string) as {
    tokens: number;
    heapDeltaBytes: number;
    bytesPerToken: number;
    createSeconds: number;
  };
}
