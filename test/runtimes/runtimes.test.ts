import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, root } from "../support/built-package.js";
import { extractBlocks } from "../support/doc-blocks.js";

// The README says the core runs in Node, Bun, Deno and edge runtimes: here each of them runs the
// built package. A consumer project in a temporary directory links patkit (this repository,
// i.e. dist/) and PGlite into its node_modules, as an install would.
const runtimes = {
  node: process.execPath,
  bun: join(root, "node_modules/@oven/bun-linux-x64/bin/bun"),
  deno: join(root, "node_modules/@deno/linux-x64-glibc/deno"),
};
const workerd = join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
const app = mkdtempSync(join(tmpdir(), "patkit-runtimes-"));
const run = promisify(execFile);

/** How each runtime runs a module of the consumer project; Deno needs read and env access. */
function command(runtime: keyof typeof runtimes, file: string): [string, string[]] {
  const args = runtime === "deno" ? ["run", "--allow-read", "--allow-env", file] : [file];
  return [runtimes[runtime], args];
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(join(app, "node_modules", "@electric-sql"), { recursive: true });
  symlinkSync(root, join(app, "node_modules", "patkit"));
  symlinkSync(
    join(root, "node_modules", "@electric-sql", "pglite"),
    join(app, "node_modules", "@electric-sql", "pglite"),
  );
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "runtimes", private: true, type: "module" }),
  );
  const quickstart = extractBlocks(root, "README.md").find((block) => block.run);
  if (!quickstart) throw new Error("README.md has no runnable quick start");
  writeFileSync(join(app, "quickstart.mjs"), quickstart.code);
  for (const fixture of ["round-trip.mjs", "worker.mjs"]) {
    copyFileSync(join(import.meta.dirname, "fixtures", fixture), join(app, fixture));
  }
}, 600_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe.each(Object.keys(runtimes) as (keyof typeof runtimes)[])("%s", (runtime) => {
  it("runs README's quick start", async () => {
    const { stdout } = await run(...command(runtime, "quickstart.mjs"), { cwd: app });
    expect(stdout).toContain("ok: acting for alice");
    expect(stdout).toContain("after revoke: revoked");
  }, 180_000);

  it("verifies and authenticates on the memory store and on PGlite", async () => {
    const { stdout } = await run(...command(runtime, "round-trip.mjs"), { cwd: app });
    // verify, Basic, another project, a broken checksum, after revoke
    const expected = "ok ok insufficient_permission malformed revoked";
    expect(stdout.trim().split("\n")).toEqual([`memory: ${expected}`, `pglite: ${expected}`]);
  }, 180_000);
});

describe("a Cloudflare Worker in workerd", () => {
  let worker: ChildProcess | undefined;
  let base = "";
  let log = "";

  beforeAll(async () => {
    // Bundled as wrangler would: one ES module, the worker conditions, no Node built-ins.
    await build({
      entryPoints: [join(app, "worker.mjs")],
      bundle: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      conditions: ["workerd", "worker", "browser"],
      outfile: join(app, "out", "worker.js"),
      logLevel: "silent",
    });
    // No nodejs_compat flag: patkit needs nothing of Node's. The date is the binary's own.
    writeFileSync(
      join(app, "out", "config.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.js")],
  compatibilityDate = "2026-11-17",
);
`,
    );
    // A socket bound to port 0 here, handed to workerd as fd 3: no port is assumed free.
    const socket: Server = createServer();
    await new Promise<void>((resolve) => socket.listen(0, "127.0.0.1", resolve));
    const address = socket.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    base = `http://127.0.0.1:${address.port}`;
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    worker = spawn(workerd, ["serve", "config.capnp", "--socket-fd", "http=3"], {
      cwd: join(app, "out"),
      stdio: ["ignore", "pipe", "pipe", fd],
    });
    worker.stdout?.on("data", (chunk) => (log += chunk));
    worker.stderr?.on("data", (chunk) => (log += chunk));
    socket.close(); // workerd holds its own copy of the socket
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(`${base}/secret`);
        return;
      } catch (error) {
        if (attempt > 600 || worker.exitCode !== null)
          throw new Error(`workerd: ${log}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }, 180_000);
  afterAll(() => {
    worker?.kill();
  });

  it("answers 200 for a valid Bearer token and 401 with WWW-Authenticate otherwise", async () => {
    const secret = await (await fetch(`${base}/secret`)).text();
    const valid = await fetch(`${base}/repo`, { headers: { authorization: `Bearer ${secret}` } });
    expect(valid.status).toBe(200);
    expect(await valid.json()).toEqual({ tokenId: expect.any(String) });

    const missing = await fetch(`${base}/repo`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="patkit"');

    const forged = `${secret.slice(0, 10)}${secret.slice(10).replace(/[a-z]/, (c) => (c === "a" ? "b" : "a"))}`;
    const refused = await fetch(`${base}/repo`, { headers: { authorization: `Bearer ${forged}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(log).toBe("");
  }, 60_000);
});
