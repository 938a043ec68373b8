import { ForbiddenError, ValidationError } from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, bob, createHarness, projectP, repoP1, root } from "../support/host.js";

const readToken = { name: "ci", permissions: ["REPO_READ"] } as const;

describe("create: who may create what", () => {
  it("lets a user create a personal token for themselves", async () => {
    const { tokens } = createHarness();
    const { token, secret } = await tokens.create({ owner: aliceOwner, ...readToken }, alice);
    expect(token).toMatchObject({
      name: "ci",
      owner: aliceOwner,
      permissions: ["REPO_READ"],
      createdBy: "alice",
      expiresAt: null,
      lastAuthenticatedAt: null,
      revokedAt: null,
      status: "active",
    });
    expect(secret).toMatch(/^pat_[0-9A-Za-z]{65}$/);
    expect(secret).toContain(token.id);
  });

  it("refuses a system admin creating a personal token for another user", async () => {
    const { tokens, store: memory } = createHarness();
    await expect(tokens.create({ owner: aliceOwner, ...readToken }, root)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(memory.size).toBe(0);
  });

  it("refuses any user creating a personal token for another user", async () => {
    const { tokens } = createHarness();
    await expect(tokens.create({ owner: aliceOwner, ...readToken }, bob)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("lets a project admin create a project token", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(
      { owner: projectP, name: "deploy", permissions: ["PROJECT_READ", "REPO_WRITE"] },
      alice,
    );
    expect(token.owner).toEqual(projectP);
    expect(token.createdBy).toBe("alice");
  });

  it("refuses a project token to someone who only reads the project", async () => {
    const { tokens } = createHarness();
    await expect(tokens.create({ owner: projectP, ...readToken }, bob)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it("lets a repository admin, and only one, create a repository token", async () => {
    const { tokens, host } = createHarness();
    host.grantRepository("erin", "P", "R1", "ADMIN");
    const { token } = await tokens.create({ owner: repoP1, ...readToken }, { userId: "erin" });
    expect(token.owner).toEqual(repoP1);
    const otherRepo = { kind: "repository", projectId: "P", repositoryId: "R2" } as const;
    await expect(
      tokens.create({ owner: otherRepo, ...readToken }, { userId: "erin" }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(tokens.create({ owner: repoP1, ...readToken }, bob)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it("refuses a project admin's token for a project they do not administer", async () => {
    const { tokens } = createHarness();
    await expect(
      tokens.create({ owner: { kind: "project", projectId: "Q" }, ...readToken }, alice),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("refuses creation through a token, even for oneself", async () => {
    const { tokens, store: memory } = createHarness();
    await expect(
      tokens.create({ owner: aliceOwner, ...readToken }, { userId: "alice", via: "token" }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(memory.size).toBe(0);
  });

  it("refuses creation through a principal that a verified token produced", async () => {
    const { tokens } = createHarness();
    const { secret } = await tokens.create({ owner: aliceOwner, ...readToken }, alice);
    const verified = await tokens.verifyToken(secret);
    if (!verified.ok) throw new Error("expected a valid token");
    await expect(
      tokens.create({ owner: aliceOwner, ...readToken }, verified.principal as never),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe("create: input validation names the field", () => {
  async function validationError(run: () => Promise<unknown>): Promise<ValidationError> {
    const error = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }

  it("rejects a repository level below the project level on permissions", async () => {
    const { tokens, store: memory } = createHarness();
    const error = await validationError(() =>
      tokens.create(
        { owner: aliceOwner, name: "x", permissions: ["PROJECT_WRITE", "REPO_READ"] },
        alice,
      ),
    );
    expect(error.fields).toEqual(["permissions"]);
    expect(memory.size).toBe(0);
  });

  it("rejects a project level on a repository token on permissions", async () => {
    const { tokens } = createHarness();
    const error = await validationError(() =>
      tokens.create(
        { owner: repoP1, name: "x", permissions: ["PROJECT_READ", "REPO_READ"] },
        alice,
      ),
    );
    expect(error.fields).toEqual(["permissions"]);
  });

  it("rejects unknown permission names, with the index in the path", async () => {
    const { tokens } = createHarness();
    const error = await validationError(() =>
      tokens.create(
        { owner: aliceOwner, name: "x", permissions: ["REPO_READ", "SYS_ADMIN"] as never },
        alice,
      ),
    );
    expect(error.issues[0]?.path).toEqual(["permissions", 1]);
  });

  it("rejects an empty or whitespace name, and control characters", async () => {
    const { tokens } = createHarness();
    for (const name of ["", "   ", "a\nb", "x".repeat(256)]) {
      const error = await validationError(() =>
        tokens.create({ owner: aliceOwner, name, permissions: ["REPO_READ"] }, alice),
      );
      expect(error.fields).toEqual(["name"]);
    }
  });

  it("rejects a malformed owner with the owner's field path", async () => {
    const { tokens } = createHarness();
    const error = await validationError(() =>
      tokens.create(
        { owner: { kind: "repository", projectId: "P" } as never, ...readToken },
        alice,
      ),
    );
    expect(error.fields).toEqual(["owner.repositoryId"]);
  });

  it("rejects expiry days that are not positive whole numbers", async () => {
    const { tokens } = createHarness();
    for (const expiryDays of [0, -1, 1.5, Number.NaN, "7"]) {
      const error = await validationError(() =>
        tokens.create({ owner: aliceOwner, ...readToken, expiryDays: expiryDays as never }, alice),
      );
      expect(error.fields).toEqual(["expiryDays"]);
    }
  });

  it("rejects unknown input fields rather than ignoring them", async () => {
    const { tokens } = createHarness();
    const error = await validationError(() =>
      tokens.create({ owner: aliceOwner, ...readToken, expiresAt: new Date() } as never, alice),
    );
    expect(error.issues[0]?.message).toMatch(/expiresAt/);
  });

  it("rejects a missing actor with the actor's path", async () => {
    const { tokens } = createHarness();
    const error = await validationError(() =>
      tokens.create({ owner: aliceOwner, ...readToken }, undefined as never),
    );
    expect(error.fields).toEqual(["actor"]);
  });

  it("trims the name", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(
      { owner: aliceOwner, name: "  build  ", permissions: ["REPO_READ"] },
      alice,
    );
    expect(token.name).toBe("build");
  });
});

describe("create: names cannot spoof their surroundings", () => {
  it("refuses bidi overrides and line separators in names", async () => {
    const { tokens } = createHarness();
    for (const name of ["evil\u202Egnp.exe", "a\u2028b", "x\u2066y", "C1\u0085control"]) {
      const error = await tokens
        .create({ owner: aliceOwner, name, permissions: ["REPO_READ"] }, alice)
        .catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.fields).toEqual(["name"]);
    }
    const { token } = await tokens.create(
      { owner: aliceOwner, name: "déploiement 🚀 ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect(token.name).toBe("déploiement 🚀 ci");
  });
});
