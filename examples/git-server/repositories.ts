import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { DemoHost } from "./demo-host.js";
import { cleanGitEnvironment, git } from "./git.js";

/**
 * Creates each repository of the host as a bare repository under `projectRoot` (the
 * `GIT_PROJECT_ROOT` of `git http-backend`), with one initial commit on `main`. Repositories that
 * already exist (a data directory from an earlier run) are left as they are.
 */
export async function createBareRepositories(host: DemoHost, projectRoot: string): Promise<void> {
  const env = {
    ...cleanGitEnvironment(projectRoot),
    GIT_AUTHOR_DATE: "2025-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2025-01-01T00:00:00Z",
  };
  for (const repository of host.repositories.values()) {
    const directory = join(projectRoot, host.backendPath(repository));
    if (existsSync(join(directory, "HEAD"))) continue;
    await mkdir(directory, { recursive: true });
    await git(["init", "--quiet", "--bare", "--initial-branch=main", directory], { env });
    // One commit without a work tree: blob, tree, commit, branch.
    const readme = `# ${repository.slug}\n\nA demo repository served by patkit's git server.\n`;
    const run = (args: string[], input?: string) =>
      git(args, input === undefined ? { cwd: directory, env } : { cwd: directory, env, input });
    const blob = (await run(["hash-object", "-w", "--stdin"], readme)).trim();
    const tree = (await run(["mktree"], `100644 blob ${blob}\tREADME.md\n`)).trim();
    const commit = (await run(["commit-tree", tree, "-m", "Initial commit"])).trim();
    await run(["update-ref", "refs/heads/main", commit]);
  }
}
