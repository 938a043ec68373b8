import { describe, expect, it } from "vitest";
import {
  alice,
  aliceOwner,
  createHarness,
  issueOneOfEach as issueAll,
  repoP1,
} from "../support/host.js";

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;

describe("authenticate", () => {
  it("accepts any token as a Bearer credential, scheme name in any case", async () => {
    const { tokens } = createHarness();
    const { personal, project, repository } = await issueAll(tokens);
    for (const { secret } of [personal, project, repository]) {
      expect((await tokens.authenticate(`Bearer ${secret}`)).ok).toBe(true);
      expect((await tokens.authenticate(`bearer ${secret}`)).ok).toBe(true);
    }
  });

  it("accepts a personal token as the Basic password with its owner's username", async () => {
    const { tokens } = createHarness();
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "u", permissions: ["REPO_READ"] },
      alice,
    );
    expect((await tokens.authenticate(basic("alice", secret))).ok).toBe(true);
  });

  it("refuses a personal token over Basic with another username as unknown, without its id", async () => {
    const { tokens } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "u", permissions: ["REPO_READ"] },
      alice,
    );
    expect(await tokens.authenticate(basic("mallory", secret))).toEqual({
      ok: false,
      reason: "unknown",
    });
    expect(await tokens.authenticate(basic("alice", secret))).toMatchObject({
      ok: true,
      token: { id: token.id },
    });
    // A secret that is nobody's stays unknown, whatever the username.
    const other = createHarness();
    const foreign = await other.tokens.create(
      { owner: aliceOwner, name: "u", permissions: ["REPO_READ"] },
      alice,
    );
    expect(await tokens.authenticate(basic("alice", foreign.secret))).toEqual({
      ok: false,
      reason: "unknown",
    });
  });

  it("takes the header already parsed, as patkit/http passes it", async () => {
    const { tokens, counting } = createHarness();
    const { parseAuthorization } = await import("patkit");
    const { personal, project } = await issueAll(tokens);
    const read = { permission: "REPO_READ", projectId: "P" } as const;
    const bearer = parseAuthorization(`Bearer ${project.secret}`);
    expect(await tokens.authenticate(bearer, read)).toMatchObject({
      ok: true,
      principal: { kind: "project", tokenId: project.token.id },
    });
    expect(
      await tokens.authenticate({
        ok: true,
        scheme: "basic",
        username: "alice",
        password: personal.secret,
      }),
    ).toMatchObject({ ok: true, principal: { kind: "user", userId: "alice" } });
    expect(await tokens.authenticate(parseAuthorization(basic("alice", project.secret)))).toEqual({
      ok: false,
      reason: "wrong_scheme",
      tokenId: project.token.id,
    });
    const before = counting.count();
    expect(await tokens.authenticate(parseAuthorization("Digest x"))).toEqual({
      ok: false,
      reason: "wrong_scheme",
    });
    expect(await tokens.authenticate(parseAuthorization(undefined))).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(await tokens.authenticate(parseAuthorization("Bearer"))).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(counting.count()).toBe(before);
  });

  it("uses the host's usernameOf for Basic auth", async () => {
    const context = createHarness();
    const access = { ...context.host.access, usernameOf: (id: string) => `${id}@example.com` };
    const { tokens } = createHarness({ access, store: context.store });
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "u", permissions: ["REPO_READ"] },
      alice,
    );
    expect((await tokens.authenticate(basic("alice@example.com", secret))).ok).toBe(true);
    expect((await tokens.authenticate(basic("alice", secret))).ok).toBe(false);
  });

  it("refuses project and repository tokens over Basic with wrong_scheme", async () => {
    const { tokens } = createHarness();
    const { project, repository } = await issueAll(tokens);
    expect(await tokens.authenticate(basic("x-token-auth", project.secret))).toMatchObject({
      ok: false,
      reason: "wrong_scheme",
    });
    expect(await tokens.authenticate(basic("alice", repository.secret))).toMatchObject({
      ok: false,
      reason: "wrong_scheme",
    });
  });

  it("applies the requirement to the header's token", async () => {
    const { tokens } = createHarness();
    const { secret } = await tokens.create(
      { owner: repoP1, name: "r", permissions: ["REPO_READ"] },
      alice,
    );
    const write = { permission: "REPO_WRITE", projectId: "P", repositoryId: "R1" } as const;
    expect(await tokens.authenticate(`Bearer ${secret}`, write)).toMatchObject({
      ok: false,
      reason: "insufficient_permission",
    });
  });

  it("refuses missing, malformed and unsupported credentials without a store lookup", async () => {
    const { tokens, counting } = createHarness();
    const before = counting.count();
    expect(await tokens.authenticate(undefined)).toEqual({ ok: false, reason: "malformed" });
    expect(await tokens.authenticate("")).toEqual({ ok: false, reason: "malformed" });
    expect(await tokens.authenticate("Bearer")).toEqual({ ok: false, reason: "malformed" });
    expect(await tokens.authenticate("Bearer a b")).toEqual({ ok: false, reason: "malformed" });
    expect(await tokens.authenticate("Basic !!!")).toEqual({ ok: false, reason: "malformed" });
    expect(await tokens.authenticate(basic("alice", "not-a-token"))).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(await tokens.authenticate("Digest username=alice")).toEqual({
      ok: false,
      reason: "wrong_scheme",
    });
    expect(counting.count()).toBe(before);
  });
});

describe("parseAuthorization edge cases", () => {
  it("trims surrounding spaces and tabs, and stays linear on long inner runs", async () => {
    const { parseAuthorization } = await import("patkit");
    expect(parseAuthorization(" \tBearer abc \t")).toEqual({
      ok: true,
      scheme: "bearer",
      token: "abc",
    });
    const padded = `Bearer${" ".repeat(4000)}x${" ".repeat(4000)}y`;
    expect(parseAuthorization(padded)).toEqual({ ok: false, reason: "malformed_header" });
  });
});
