import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Permission } from "patkit";
import { MANAGEMENT_PREFIX } from "./bitbucket-api.js";
import { cleanGitEnvironment, type GitRun, git, runGit } from "./git.js";
import { DEMO_PASSWORD } from "./sessions.js";

/** How a request signs in: a demo session, a token as Bearer, or Basic credentials. */
export type Credentials =
  | { readonly session: string }
  | { readonly bearer: string }
  | { readonly basic: { readonly username: string; readonly password: string } }
  | null;

/** An answer of the demo's REST API. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the server, checked by the caller
  readonly body: any;
}

/** A token created through Bitbucket's API: its id, and the secret shown this once. */
export interface CreatedTokenJson {
  readonly id: string;
  readonly secret: string;
  /** Epoch milliseconds, or `null` for a token that never expires. */
  readonly expiryDate: number | null;
}

/**
 * A client of a running demo server, the way a person would use it: calls to Bitbucket's
 * access-token REST API (patkit/bitbucket), and the real `git` with a clean environment (no
 * credential helper, no prompt).
 */
export class DemoClient {
  private constructor(
    readonly baseUrl: string,
    readonly workDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A client with its own scratch directory (a clean `$HOME` and room for clones) under `parent`. */
  static async create(baseUrl: string, parent: string): Promise<DemoClient> {
    const workDir = await mkdtemp(join(parent, "client-"));
    return new DemoClient(baseUrl, workDir, cleanGitEnvironment(workDir));
  }

  /** Calls the server; `path` starts with `/`. */
  async api(
    method: string,
    path: string,
    credentials: Credentials,
    body?: unknown,
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    const authorization = authorizationOf(credentials);
    if (authorization) headers.Authorization = authorization;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === "" ? null : JSON.parse(text),
    };
  }

  /**
   * Creates a token through Bitbucket's API (`PUT`) as a signed-in user; throws unless it is 200.
   * `ownerPath` is `/users/{userSlug}`, `/projects/{projectKey}` or `.../repos/{repositorySlug}`.
   */
  async createToken(
    ownerPath: string,
    sessionUser: string,
    input: { name: string; permissions: Permission[]; expiryDays?: number },
  ): Promise<CreatedTokenJson> {
    const response = await this.api(
      "PUT",
      `${MANAGEMENT_PREFIX}${ownerPath}`,
      { session: sessionUser },
      input,
    );
    if (response.status !== 200) {
      throw new Error(
        `Creating a token at ${ownerPath} answered ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    const { id, token, expiryDate } = response.body as {
      id: string;
      token: string;
      expiryDate?: number;
    };
    return { id, secret: token, expiryDate: expiryDate ?? null };
  }

  /** `git clone`, with a Bearer token as an extra header when given. */
  clone(url: string, name: string, bearer?: string): Promise<GitRun> {
    return runGit([...headerConfig(bearer), "clone", "--quiet", url, name], {
      cwd: this.workDir,
      env: this.env,
    });
  }

  /** `git ls-remote` of a URL: the cheapest authenticated read. */
  lsRemote(url: string, bearer?: string): Promise<GitRun> {
    return runGit([...headerConfig(bearer), "ls-remote", url], {
      cwd: this.workDir,
      env: this.env,
    });
  }

  /** Commits a new file in a clone and pushes `main` to its origin. */
  async commitAndPush(name: string, bearer?: string): Promise<GitRun> {
    const cwd = join(this.workDir, name);
    const file = `change-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`;
    await writeFile(join(cwd, file), `${file}\n`);
    await git(["add", file], { cwd, env: this.env });
    await git(["commit", "--quiet", "-m", `Add ${file}`], { cwd, env: this.env });
    return runGit([...headerConfig(bearer), "push", "--quiet", "origin", "HEAD:main"], {
      cwd,
      env: this.env,
    });
  }

  /** The commit `main` points to in a clone. */
  async head(name: string): Promise<string> {
    return (
      await git(["rev-parse", "HEAD"], { cwd: join(this.workDir, name), env: this.env })
    ).trim();
  }
}

function headerConfig(bearer: string | undefined): string[] {
  return bearer === undefined ? [] : ["-c", `http.extraHeader=Authorization: Bearer ${bearer}`];
}

function authorizationOf(credentials: Credentials): string | null {
  if (credentials === null) return null;
  if ("session" in credentials) return basic(credentials.session, DEMO_PASSWORD);
  if ("bearer" in credentials) return `Bearer ${credentials.bearer}`;
  return basic(credentials.basic.username, credentials.basic.password);
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** True when git's output says the server refused the credentials (401). */
export function isAuthenticationFailure(run: GitRun): boolean {
  return (
    run.code !== 0 &&
    /Authentication failed|could not read Username|terminal prompts disabled/.test(run.stderr)
  );
}

/** True when git's output says the server refused the request with 403. */
export function isForbidden(run: GitRun): boolean {
  return run.code !== 0 && /returned error: 403/.test(run.stderr);
}
