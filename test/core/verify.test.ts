import { ForbiddenError, StoreUnavailableError, ValidationError } from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, projectP, repoP1 } from "../support/host.js";
import {
  formatToken,
  ID_LENGTH,
  SECRET_LENGTH,
  withBadChecksum,
  withOtherSecret,
} from "../support/token-strings.js";

describe("verifyToken", () => {
  it("accepts a live token and names its principal", async () => {
    const { tokens } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_WRITE"] },
      alice,
    );
    const result = await tokens.verifyToken(secret);
    expect(result).toEqual({
      ok: true,
      token,
      principal: {
        kind: "user",
        userId: "alice",
        tokenId: token.id,
        permissions: ["REPO_WRITE"],
        via: "token",
      },
    });
  });

  it("returns malformed without touching the store for anything that fails the format", async () => {
    const { tokens, counting } = createHarness();
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const before = counting.count();

    const inputs: unknown[] = [
      withBadChecksum(secret), // bad checksum
      secret.replace(/^pat_/, "ghp_"), // wrong prefix
      "",
      "x".repeat(1024 * 1024), // 1 MB
      `${secret.slice(0, 30)}é${secret.slice(31)}`, // non-ASCII
      `${secret}\u0000`,
      ` ${secret}`,
      null,
      undefined,
      12345,
      { token: secret },
    ];
    for (const input of inputs) {
      expect(await tokens.verifyToken(input as string)).toEqual({ ok: false, reason: "malformed" });
    }
    expect(counting.count()).toBe(before);
  });

  it("returns unknown for a well-formed token that was never issued, after one lookup", async () => {
    const { tokens, counting } = createHarness();
    const before = counting.count("findById");
    expect(
      await tokens.verifyToken(
        formatToken("pat", "i".repeat(ID_LENGTH), "s".repeat(SECRET_LENGTH)),
      ),
    ).toEqual({
      ok: false,
      reason: "unknown",
    });
    expect(counting.count("findById")).toBe(before + 1);
  });

  it("returns unknown for a real id with a wrong secret", async () => {
    const { tokens } = createHarness();
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    // Same id, another secret, valid checksum: only the hash tells them apart.
    const candidate = withOtherSecret(secret, "s".repeat(SECRET_LENGTH));
    expect(await tokens.verifyToken(candidate)).toEqual({ ok: false, reason: "unknown" });
  });

  it("rejects a token of another prefix even when it is otherwise valid", async () => {
    const { tokens } = createHarness({ prefix: "acme" });
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect(secret.startsWith("acme_")).toBe(true);
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    const other = createHarness();
    expect(await other.tokens.verifyToken(secret)).toEqual({ ok: false, reason: "malformed" });
  });

  it("fails with inactive_owner when the token's user is inactive", async () => {
    const { tokens, host } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    host.deactivate("alice");
    expect(await tokens.verifyToken(secret)).toEqual({
      ok: false,
      reason: "inactive_owner",
      tokenId: token.id,
    });
  });

  it("rejects (fails closed) when the store is unavailable", async () => {
    const { tokens, store: memory } = createHarness();
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    memory.findById = () => {
      throw new Error("connection refused");
    };
    const error = await tokens.verifyToken(secret).catch((e) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("throws a ValidationError for a malformed requirement (a caller bug, not a bad token)", async () => {
    const { tokens } = createHarness();
    const error = await tokens
      .verifyToken("pat_x", { permission: "REPO_SUPER", projectId: "" } as never)
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.fields).toEqual(["requirement.permission", "requirement.projectId"]);
  });
});

describe("verifyToken with a requirement", () => {
  it("caps a personal token by its own level", async () => {
    const { tokens, host } = createHarness();
    host.grantProject("alice", "Q", "ADMIN");
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect(
      (
        await tokens.verifyToken(secret, {
          permission: "REPO_READ",
          projectId: "Q",
          repositoryId: "X",
        })
      ).ok,
    ).toBe(true);
    expect(
      await tokens.verifyToken(secret, {
        permission: "REPO_WRITE",
        projectId: "Q",
        repositoryId: "X",
      }),
    ).toMatchObject({
      ok: false,
      reason: "insufficient_permission",
    });
    expect(
      await tokens.verifyToken(secret, { permission: "PROJECT_READ", projectId: "Q" }),
    ).toMatchObject({
      reason: "insufficient_permission",
    });
  });

  it("caps a personal token by its user's current permission, asked at verify time", async () => {
    const { tokens, host } = createHarness();
    host.grantProject("bob", "P", "WRITE");
    const { secret } = await tokens.create(
      {
        owner: { kind: "user", userId: "bob" },
        name: "b",
        permissions: ["PROJECT_ADMIN", "REPO_ADMIN"],
      },
      { userId: "bob" },
    );
    const write = { permission: "REPO_WRITE", projectId: "P", repositoryId: "R1" } as const;
    expect((await tokens.verifyToken(secret, write)).ok).toBe(true);
    expect((await tokens.verifyToken(secret, { ...write, permission: "REPO_ADMIN" })).ok).toBe(
      false,
    );
    expect((await tokens.verifyToken(secret, { ...write, projectId: "Q" })).ok).toBe(false);
    host.removeAllGrants("bob");
    expect(await tokens.verifyToken(secret, write)).toMatchObject({
      ok: false,
      reason: "insufficient_permission",
    });
  });

  it("passes the resource to the host exactly as required", async () => {
    const { tokens, host } = createHarness();
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    host.calls.length = 0;
    await tokens.verifyToken(secret, {
      permission: "REPO_READ",
      projectId: "P",
      repositoryId: "R9",
    });
    expect(host.calls).toEqual([
      {
        userId: "alice",
        permission: "REPO_READ",
        resource: { projectId: "P", repositoryId: "R9" },
      },
    ]);
  });

  it("lets a project token reach its project and every repository in it, and nothing else", async () => {
    const { tokens, host } = createHarness();
    const { secret } = await tokens.create(
      { owner: projectP, name: "p", permissions: ["PROJECT_READ", "REPO_WRITE"] },
      alice,
    );
    host.calls.length = 0;
    expect(
      (await tokens.verifyToken(secret, { permission: "PROJECT_READ", projectId: "P" })).ok,
    ).toBe(true);
    expect(
      (
        await tokens.verifyToken(secret, {
          permission: "REPO_WRITE",
          projectId: "P",
          repositoryId: "any",
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await tokens.verifyToken(secret, {
          permission: "REPO_ADMIN",
          projectId: "P",
          repositoryId: "any",
        })
      ).ok,
    ).toBe(false);
    expect(
      (await tokens.verifyToken(secret, { permission: "PROJECT_WRITE", projectId: "P" })).ok,
    ).toBe(false);
    expect(
      await tokens.verifyToken(secret, {
        permission: "REPO_READ",
        projectId: "Q",
        repositoryId: "any",
      }),
    ).toMatchObject({
      reason: "insufficient_permission",
    });
    expect(host.calls).toEqual([]); // project tokens do not borrow a user's permissions
  });

  it("lets a repository token reach that repository only", async () => {
    const { tokens } = createHarness();
    const { secret } = await tokens.create(
      { owner: repoP1, name: "r", permissions: ["REPO_WRITE"] },
      alice,
    );
    expect(
      (
        await tokens.verifyToken(secret, {
          permission: "REPO_WRITE",
          projectId: "P",
          repositoryId: "R1",
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await tokens.verifyToken(secret, {
          permission: "REPO_READ",
          projectId: "P",
          repositoryId: "R2",
        })
      ).ok,
    ).toBe(false);
    expect(
      (
        await tokens.verifyToken(secret, {
          permission: "REPO_READ",
          projectId: "Q",
          repositoryId: "R1",
        })
      ).ok,
    ).toBe(false);
    expect((await tokens.verifyToken(secret, { permission: "REPO_READ", projectId: "P" })).ok).toBe(
      false,
    );
    expect(
      (await tokens.verifyToken(secret, { permission: "PROJECT_READ", projectId: "P" })).ok,
    ).toBe(false);
  });
});

describe("the actor of a verified token", () => {
  it("is { userId, via: 'token' } for a personal token, and every change through it is refused", async () => {
    const { tokens } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const result = await tokens.verifyToken(secret);
    if (!result.ok) throw new Error("expected a valid token");
    expect(result.actor).toEqual({ userId: "alice", via: "token" });
    await expect(tokens.revoke(token.id, result.actor as never)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    // Reads still work, as for any token actor.
    expect((await tokens.get(token.id, result.actor as never)).id).toBe(token.id);
    // Not an own key: the result's shape stays { ok, token, principal }.
    expect(Object.keys(result).sort()).toEqual(["ok", "principal", "token"]);
  });

  it("is null for project and repository tokens: they speak for no user", async () => {
    const { tokens } = createHarness();
    for (const owner of [projectP, repoP1]) {
      const { secret } = await tokens.create(
        { owner, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      const result = await tokens.authenticate(`Bearer ${secret}`);
      expect(result.ok && result.actor).toBeNull();
    }
  });
});
