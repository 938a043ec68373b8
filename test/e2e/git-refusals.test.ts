import { DAY_MS } from "patkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGEMENT_PREFIX } from "../../examples/git-server/bitbucket-api.js";
import { isAuthenticationFailure, isForbidden } from "../../examples/git-server/demo-client.js";
import { type E2e, startE2e } from "./harness.js";

// Real git against the real demo server: what a token cannot reach, and tokens that stop working.
let e2e: E2e;
beforeAll(async () => {
  e2e = await startE2e();
});
afterAll(async () => {
  await e2e?.close();
});

describe("reach", () => {
  it("a repository token cannot reach another repository", async () => {
    const { client, server } = e2e;
    const token = await client.createToken("/projects/PRJ/repos/alpha", "alice", {
      name: "alpha only",
      permissions: ["REPO_WRITE"],
    });
    const own = await client.lsRemote(server.cloneUrl(server.cast.alpha), token.secret);
    expect(own.code, own.stderr).toBe(0);
    for (const other of [server.cast.beta, server.cast.infra]) {
      const run = await client.clone(server.cloneUrl(other), `reach-${other.slug}`, token.secret);
      expect(isForbidden(run), run.stderr).toBe(true);
    }
  });

  it("a project token cannot reach another project", async () => {
    const { client, server } = e2e;
    const token = await client.createToken("/projects/PRJ", "alice", {
      name: "PRJ only",
      permissions: ["PROJECT_WRITE", "REPO_WRITE"],
    });
    const own = await client.lsRemote(server.cloneUrl(server.cast.beta), token.secret);
    expect(own.code, own.stderr).toBe(0);
    const other = await client.lsRemote(server.cloneUrl(server.cast.infra), token.secret);
    expect(isForbidden(other), other.stderr).toBe(true);
  });

  it("a personal token never exceeds its user, and loses access when its user does", async () => {
    const { client, server } = e2e;
    const { erin, alpha, beta, prj } = server.cast;
    // erin writes to PRJ/alpha only; her token asks for write everywhere.
    const token = await client.createToken("/users/erin", "erin", {
      name: "erin laptop",
      permissions: ["REPO_WRITE"],
    });
    const url = (repository: typeof alpha) =>
      server.cloneUrl(repository, { username: "erin", password: token.secret });
    const clone = await client.clone(url(alpha), "erin-alpha");
    expect(clone.code, clone.stderr).toBe(0);
    const beyond = await client.lsRemote(url(beta));
    expect(isForbidden(beyond), beyond.stderr).toBe(true);

    server.host.setRepositoryPermission(erin.id, alpha.id, "REPO_READ");
    const push = await client.commitAndPush("erin-alpha");
    expect(isForbidden(push), push.stderr).toBe(true);

    server.host.setRepositoryPermission(erin.id, alpha.id, null);
    const read = await client.lsRemote(url(alpha));
    expect(isForbidden(read), read.stderr).toBe(true);

    // Access comes back with the grant: the token itself never changed.
    server.host.setProjectPermission(erin.id, prj.id, "PROJECT_READ");
    const back = await client.lsRemote(url(beta));
    expect(back.code, back.stderr).toBe(0);
  });

  it("a personal token of a deactivated user authenticates nothing", async () => {
    const { client, server } = e2e;
    const { bob, beta } = server.cast;
    const token = await client.createToken("/users/bob", "bob", {
      name: "bob laptop",
      permissions: ["REPO_READ"],
    });
    const url = server.cloneUrl(beta, { username: "bob", password: token.secret });
    expect((await client.lsRemote(url)).code).toBe(0);
    server.host.setActive(bob.id, false);
    try {
      const run = await client.lsRemote(url);
      expect(isAuthenticationFailure(run), run.stderr).toBe(true);
      expect(e2e.reasons()).toContain("inactive_owner");
    } finally {
      server.host.setActive(bob.id, true);
    }
  });
});

describe("tokens that stop working", () => {
  it("a revoked token is refused, over Basic and over Bearer", async () => {
    const { client, server } = e2e;
    const personal = await client.createToken("/users/alice", "alice", {
      name: "to revoke",
      permissions: ["REPO_READ"],
    });
    const project = await client.createToken("/projects/PRJ", "alice", {
      name: "to revoke",
      permissions: ["REPO_READ"],
    });
    const basicUrl = server.cloneUrl(server.cast.alpha, {
      username: "alice",
      password: personal.secret,
    });
    expect((await client.lsRemote(basicUrl)).code).toBe(0);
    expect((await client.lsRemote(server.cloneUrl(server.cast.alpha), project.secret)).code).toBe(
      0,
    );

    for (const path of [`/users/alice/${personal.id}`, `/projects/PRJ/${project.id}`]) {
      const revoked = await client.api("DELETE", `${MANAGEMENT_PREFIX}${path}`, {
        session: "alice",
      });
      expect(revoked.status).toBe(204);
    }
    const before = e2e.reasons().length;
    const overBasic = await client.lsRemote(basicUrl);
    expect(isAuthenticationFailure(overBasic), overBasic.stderr).toBe(true);
    expect(overBasic.stderr).toContain("Authentication failed");
    const overBearer = await client.lsRemote(server.cloneUrl(server.cast.alpha), project.secret);
    expect(isAuthenticationFailure(overBearer), overBearer.stderr).toBe(true);
    expect(
      e2e
        .reasons()
        .slice(before)
        .filter((reason) => reason === "revoked"),
    ).toHaveLength(2);
  });

  it("a token is refused from the instant it expires (the server's clock)", async () => {
    const { client, server, clock } = e2e;
    const token = await client.createToken("/projects/PRJ/repos/alpha", "alice", {
      name: "one day",
      permissions: ["REPO_READ"],
      expiryDays: 1,
    });
    const url = server.cloneUrl(server.cast.alpha);
    clock.advance(DAY_MS - 1);
    const lastMoment = await client.lsRemote(url, token.secret);
    expect(lastMoment.code, lastMoment.stderr).toBe(0);
    clock.advance(1);
    const expired = await client.clone(url, "expired-alpha", token.secret);
    expect(isAuthenticationFailure(expired), expired.stderr).toBe(true);
    expect(e2e.reasons().at(-1)).toBe("expired");
  });
});
