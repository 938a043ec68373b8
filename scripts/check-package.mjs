// Packs patkit as npm would publish it, lints the tarball (publint, arethetypeswrong), checks
// what it contains, runs README's quick start against it in a fresh project, as ESM and CJS, and
// fails when the core's bundle (createAccessTokens + createMemoryStore) grows past its budget (scripts/bundle-size.mjs).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_LIMIT_BYTES, measureBundle } from "./bundle-size.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "patkit-package-"));
const subpaths = [
  "patkit",
  "patkit/memory",
  "patkit/postgres",
  "patkit/http",
  "patkit/bitbucket",
  "patkit/testing",
  "patkit/store",
];

function run(command, args, options = {}) {
  console.log(`$ ${command} ${args.join(" ")}`);
  try {
    return execFileSync(command, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
      ...options,
    });
  } catch (error) {
    // Show what the tool said before giving up: its report is the point of running it.
    if (error.stdout) process.stdout.write(error.stdout);
    throw error;
  }
}

function fail(message) {
  console.error(`check:package: ${message}`);
  process.exitCode = 1;
}

try {
  run("npm", ["run", "build"]);
  const [packed] = JSON.parse(
    run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work]),
  );
  const tarball = join(work, packed.filename);
  const files = packed.files.map((file) => file.path);
  console.log(`${packed.filename}: ${files.length} files, ${packed.size} bytes packed`);

  for (const required of [
    "package.json",
    "README.md",
    "dist/index.js",
    "dist/index.cjs",
    "dist/index.d.ts",
    "docs/http.md",
  ]) {
    if (!files.includes(required)) fail(`the tarball lacks ${required}`);
  }
  // The guides ship (README links into docs/); the generated API reference does not.
  const stray = files.filter((file) =>
    /^(test|bench|examples|scripts|\.tmp|\.ci|docs\/api)\//.test(file),
  );
  if (stray.length > 0) fail(`the tarball holds files users do not need: ${stray.join(", ")}`);

  process.stdout.write(run("npx", ["publint", "run", tarball, "--strict"]));
  process.stdout.write(run("npx", ["attw", tarball, "--format", "table-flipped"]));

  // README's quick start, as written, against the tarball in a project of its own.
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /<!-- quickstart -->\s*```(?:js|javascript)\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error("README.md has no ```js block after <!-- quickstart -->");
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "quickstart", private: true, type: "module" }),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: app });
  writeFileSync(join(app, "quickstart.js"), block[1]);

  // The bundle an edge or serverless build pays for the core: a size, so a deterministic check.
  const bundle = await measureBundle(app);
  console.log(
    `bundle of createAccessTokens + createMemoryStore: ${bundle.minified} bytes minified, ` +
      `${bundle.gzipped} bytes gzipped (limit ${BUNDLE_LIMIT_BYTES})`,
  );
  if (bundle.gzipped > BUNDLE_LIMIT_BYTES)
    fail(`the bundle is ${bundle.gzipped} bytes gzipped, over the limit of ${BUNDLE_LIMIT_BYTES}`);
  process.stdout.write(run("node", ["quickstart.js"], { cwd: app }));

  // Every subpath resolves and loads from CommonJS too (testing needs vitest, so it only resolves).
  const cjs = subpaths
    .map((path) =>
      path === "patkit/testing"
        ? `require.resolve(${JSON.stringify(path)});`
        : `if (Object.keys(require(${JSON.stringify(path)})).length === 0) throw new Error("empty ${path}");`,
    )
    .join("\n");
  writeFileSync(join(app, "smoke.cjs"), `${cjs}\nconsole.log("CommonJS: every subpath loads");\n`);
  process.stdout.write(run("node", ["smoke.cjs"], { cwd: app }));
  const esm = subpaths
    .filter((path) => path !== "patkit/testing")
    .map(
      (path, i) =>
        `import * as m${i} from ${JSON.stringify(path)}; if (Object.keys(m${i}).length === 0) throw new Error("empty ${path}");`,
    )
    .join("\n");
  writeFileSync(join(app, "smoke.mjs"), `${esm}\nconsole.log("ESM: every subpath loads");\n`);
  process.stdout.write(run("node", ["smoke.mjs"], { cwd: app }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (process.exitCode) process.exit(process.exitCode);
console.log("check:package: ok");
