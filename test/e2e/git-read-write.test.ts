import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAuthenticationFailure, isForbidden } from "../../examples/git-server/demo-client.js";
import { cleanGitEnvironment, git, runGit } from "../../examples/git-server/git.js";
import { type E2e, startE2e } from "./harness.js";

// Real git against the real demo server: who may clone, who may push, over which scheme.
let e2e: E2e;
beforeAll(async () => {
  e2e = await startE2e();
});
afterAll(async () => {
  await e2e?.close();
});

describe("fetching and pushing with tokens", () => {
  it("clones with a read token, refuses its push, and lands a push with a write token", async () => {
    const { client, server } = e2e;
    const { alpha } = server.cast;
    const read = await client.createToken("/projects/PRJ", "alice", {
      name: "read",
      permissions: ["PROJECT_READ", "REPO_READ"],
    });
    const write = await client.createToken("/projects/PRJ/repos/alpha", "alice", {
      name: "write",
      permissions: ["REPO_WRITE"],
    });

    const clone = await client.clone(server.cloneUrl(alpha), "rw-read", read.secret);
    expect(clone.code, clone.stderr).toBe(0);
    const refused = await client.commitAndPush("rw-read", read.secret);
    expect(isForbidden(refused), refused.stderr).toBe(true);
    expect(e2e.reasons()).toContain("insufficient_permission");

    // The same commit, pushed with the write token, lands on the server.
    const pushed = await client.commitAndPush("rw-read", write.secret);
    expect(pushed.code, pushed.stderr).toBe(0);
    const remote = await client.lsRemote(server.cloneUrl(alpha), read.secret);
    expect(remote.stdout).toContain(`${await client.head("rw-read")}\trefs/heads/main`);
  });

  it("takes a personal token as the password of Basic auth (https://user:token@host/...)", async () => {
    const { client, server } = e2e;
    const personal = await client.createToken("/users/alice", "alice", {
      name: "laptop",
      permissions: ["PROJECT_READ", "REPO_WRITE"],
    });
    const url = server.cloneUrl(server.cast.beta, { username: "alice", password: personal.secret });
    const clone = await client.clone(url, "basic-beta");
    expect(clone.code, clone.stderr).toBe(0);
    const push = await client.commitAndPush("basic-beta");
    expect(push.code, push.stderr).toBe(0);
  });

  it("takes a personal token over Bearer too", async () => {
    const { client, server } = e2e;
    const personal = await client.createToken("/users/bob", "bob", {
      name: "bob ci",
      permissions: ["REPO_READ"],
    });
    const run = await client.lsRemote(server.cloneUrl(server.cast.beta), personal.secret);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("refs/heads/main");
  });

  it("refuses a personal token paired with someone else's username", async () => {
    const { client, server } = e2e;
    const personal = await client.createToken("/users/alice", "alice", {
      name: "alice only",
      permissions: ["REPO_READ"],
    });
    const url = server.cloneUrl(server.cast.alpha, { username: "bob", password: personal.secret });
    const run = await client.lsRemote(url);
    expect(isAuthenticationFailure(run), run.stderr).toBe(true);
  });

  it("takes project and repository tokens over http.extraHeader Bearer", async () => {
    const { client, server } = e2e;
    const project = await client.createToken("/projects/PRJ", "alice", {
      name: "project",
      permissions: ["REPO_READ"],
    });
    const repository = await client.createToken("/projects/PRJ/repos/beta", "alice", {
      name: "repository",
      permissions: ["REPO_READ"],
    });
    for (const [token, name] of [
      [project.secret, "bearer-project"],
      [repository.secret, "bearer-repository"],
    ] as const) {
      const clone = await client.clone(server.cloneUrl(server.cast.beta), name, token);
      expect(clone.code, clone.stderr).toBe(0);
    }
  });

  it("refuses project and repository tokens over Basic", async () => {
    const { client, server } = e2e;
    const project = await client.createToken("/projects/PRJ", "alice", {
      name: "project over basic",
      permissions: ["REPO_READ"],
    });
    const repository = await client.createToken("/projects/PRJ/repos/alpha", "alice", {
      name: "repository over basic",
      permissions: ["REPO_READ"],
    });
    for (const token of [project, repository]) {
      const url = server.cloneUrl(server.cast.alpha, { username: "alice", password: token.secret });
      const run = await client.lsRemote(url);
      expect(isAuthenticationFailure(run), run.stderr).toBe(true);
      expect(run.stderr).toContain("Authentication failed");
      expect(run.stderr).not.toContain(token.secret);
    }
    expect(e2e.reasons().filter((reason) => reason === "wrong_scheme")).toHaveLength(2);
  });

  it("refuses anonymous fetches with a challenge git understands", async () => {
    const run = await e2e.client.lsRemote(e2e.server.cloneUrl(e2e.server.cast.alpha));
    expect(isAuthenticationFailure(run), run.stderr).toBe(true);
  });
});

describe("requests as git really sends them", () => {
  it("streams a chunked push and a gzip'd fetch negotiation through git http-backend", async () => {
    const { client, server } = e2e;
    const token = await client.createToken("/users/alice", "alice", {
      name: "bulk",
      permissions: ["REPO_WRITE"],
    });
    const url = server.cloneUrl(server.cast.beta, { username: "alice", password: token.secret });
    expect((await client.clone(url, "bulk-writer")).code).toBe(0);
    expect((await client.clone(url, "bulk-reader")).code).toBe(0);
    const env = cleanGitEnvironment(client.workDir);
    const writer = join(client.workDir, "bulk-writer");
    const reader = join(client.workDir, "bulk-reader");

    // 150 tagged commits in one fast-import run: a pack beyond a small post buffer, and many wants.
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
    let script = "";
    for (let i = 1; i <= 150; i++) {
      script += `commit refs/heads/main\nmark :${i}\n`;
      script += `committer demo <demo@patkit.invalid> ${1_700_000_000 + i} +0000\n${data(`commit ${i}`)}`;
      if (i === 1) script += "from refs/heads/main^0\n";
      script += `M 644 inline file-${i}.txt\n${data(`content ${i}`)}\n`;
      script += `reset refs/tags/t${i}\nfrom :${i}\n\n`;
    }
    await git(["fast-import", "--quiet"], { cwd: writer, env, input: script });

    const pushTrace = join(client.workDir, "push-trace");
    const push = await runGit(
      ["-c", "http.postBuffer=4096", "push", "-q", "--tags", "origin", "main"],
      {
        cwd: writer,
        env: { ...env, GIT_TRACE_CURL: pushTrace, GIT_TRACE_CURL_NO_DATA: "1" },
      },
    );
    expect(push.code, push.stderr).toBe(0);
    expect(await readFile(pushTrace, "utf8")).toMatch(/Send header: Transfer-Encoding: chunked/);

    const fetchTrace = join(client.workDir, "fetch-trace");
    const fetched = await runGit(["-c", "protocol.version=0", "fetch", "-q", "--tags", "origin"], {
      cwd: reader,
      env: { ...env, GIT_TRACE_CURL: fetchTrace, GIT_TRACE_CURL_NO_DATA: "1" },
    });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(await readFile(fetchTrace, "utf8")).toMatch(/Send header: Content-Encoding: gzip/);
    const tags = (await git(["tag"], { cwd: reader, env })).trim().split("\n");
    expect(tags).toHaveLength(150);
    const main = await git(["rev-parse", "origin/main"], { cwd: reader, env });
    expect(main).toBe(await git(["rev-parse", "main"], { cwd: writer, env }));
  });
});
