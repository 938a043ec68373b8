import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, root } from "../support/built-package.js";
import { extractBlocks } from "../support/doc-blocks.js";

// A newcomer's first minutes: pack the repository as npm would, install the tarball into a
// fresh project (from npm's cache, so it works offline once `npm ci` has run) and run README's
// quick start there. `.ci/run` also installs from a git+file:// URL, which builds through
// `prepare` (slow: npm installs the development tools first).
const work = mkdtempSync(join(tmpdir(), "patkit-install-"));
const app = join(work, "app");
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
  });

describe("installing patkit into a fresh project", () => {
  beforeAll(async () => {
    await ensureBuilt();
    // dist/ is fresh, so skip `prepare`; the tarball is what `npm pack` publishes.
    const [packed] = JSON.parse(
      npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], root),
    ) as { filename: string; files: { path: string }[] }[];
    if (!packed) throw new Error("npm pack reported nothing");
    execFileSync("mkdir", [app]);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "first-project", private: true, type: "module" }),
    );
    npm(["install", "--prefer-offline", join(work, packed.filename)], app);
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("ships the guides README links to", () => {
    const installed = join(app, "node_modules", "patkit");
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\((docs\/[\w-]+\.md)\)/g)].map((match) => match[1] ?? "");
    expect(links.length).toBeGreaterThan(0);
    for (const link of new Set(links)) {
      expect(readFileSync(join(installed, link), "utf8").length, link).toBeGreaterThan(0);
    }
  });

  it("runs README's quick start as written", () => {
    const quickstart = extractBlocks(root, "README.md").find((block) => block.run);
    if (!quickstart) throw new Error("README.md has no runnable quick start");
    writeFileSync(join(app, "quickstart.js"), quickstart.code);
    const output = execFileSync(process.execPath, ["quickstart.js"], {
      cwd: app,
      encoding: "utf8",
    });
    expect(output).toContain("ok: acting for alice");
    expect(output).toContain("after revoke: revoked");
  }, 60_000);
});
