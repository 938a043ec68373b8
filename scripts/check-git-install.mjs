// Installs patkit the way README says before it is published: from a git URL (here the
// repository's own committed HEAD, as git+file://), into a fresh project, then runs README's
// quick start there. npm clones, installs the development tools, runs `prepare` (the build) and
// packs; slow, so it runs in .ci/run rather than in `npm test`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const app = mkdtempSync(join(tmpdir(), "patkit-git-install-"));
const started = Date.now();
try {
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "from-git", private: true, type: "module" }),
  );
  const url = `git+file://${root}#${head}`;
  console.log(`$ npm install ${url}`);
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", url], {
    cwd: app,
    stdio: "inherit",
  });
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /<!-- quickstart -->\s*```(?:js|javascript)\n([\s\S]*?)```/.exec(readme);
  if (!block?.[1]) throw new Error("README.md has no ```js block after <!-- quickstart -->");
  writeFileSync(join(app, "quickstart.js"), block[1]);
  const output = execFileSync("node", ["quickstart.js"], { cwd: app, encoding: "utf8" });
  process.stdout.write(output);
  if (!output.includes("after revoke: revoked")) throw new Error("the quick start went wrong");
  console.log(`check-git-install: ok in ${Math.round((Date.now() - started) / 1000)} s`);
} finally {
  rmSync(app, { recursive: true, force: true });
}
