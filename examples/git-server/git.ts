import { execFile } from "node:child_process";

/** What a finished git command left behind. */
export interface GitRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * An environment for git with nothing of the user's own set-up: no system or global config,
 * no credential helper, no terminal prompt (a refused credential fails at once instead of
 * asking), a fixed identity. `home` is a directory git may treat as `$HOME`.
 */
export function cleanGitEnvironment(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    GIT_AUTHOR_NAME: "patkit demo",
    GIT_AUTHOR_EMAIL: "demo@patkit.invalid",
    GIT_COMMITTER_NAME: "patkit demo",
    GIT_COMMITTER_EMAIL: "demo@patkit.invalid",
  };
}

/** Runs git and resolves with its exit code and output, whatever the code. */
export function runGit(
  args: readonly string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      { cwd: options.cwd, env: options.env, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs git and rejects, with its stderr, unless it succeeds. */
export async function git(
  args: readonly string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<string> {
  const run = await runGit(args, options);
  if (run.code !== 0) {
    throw new Error(`git ${args.join(" ")} failed (${run.code}): ${run.stderr.trim()}`);
  }
  return run.stdout;
}
