import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the package as users install it, once built. */
export const root = fileURLToPath(new URL("../..", import.meta.url));

/** What `npm run build` reads, and what it writes for every subpath. */
const inputs = ["src", "tsup.config.ts", "package.json", "tsconfig.json"];
const outputs = [
  "index",
  "memory/index",
  "postgres/index",
  "http/index",
  "bitbucket/index",
  "testing/index",
  "store/index",
].flatMap((entry) => [
  `dist/${entry}.js`,
  `dist/${entry}.cjs`,
  `dist/${entry}.d.ts`,
  `dist/${entry}.d.cts`,
]);

function newestIn(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestIn(join(path, entry))));
}

function isFresh(): boolean {
  const built = outputs.map((file) => join(root, file));
  if (!built.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...built.map((file) => statSync(file).mtimeMs));
  return oldestOutput >= Math.max(...inputs.map((input) => newestIn(join(root, input))));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds `dist/` unless it is newer than every source (`npm ci` builds it through `prepare`).
 * Test files that need the built package call this in `beforeAll`; a lock directory keeps two
 * workers from building into the same `dist/` at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(root, ".tmp", "build.lock");
  mkdirSync(join(root, ".tmp"), { recursive: true });
  for (;;) {
    if (isFresh()) return;
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is building; a lock older than ten minutes belongs to a dead run.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 600_000) {
        rmSync(lock, { recursive: true, force: true });
      }
      await sleep(500);
      continue;
    }
    try {
      if (!isFresh())
        execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "pipe" });
      return;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
