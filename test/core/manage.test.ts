import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, bob, createHarness, projectP, root } from "../support/host.js";

const readToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] } as const;

describe("editing", () => {
  it("lets the owner rename and change permissions, bumping nothing else", async () => {
    const { tokens, events } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    const updated = await tokens.update(
      token.id,
      { name: "build", permissions: ["PROJECT_READ", "REPO_WRITE"] },
      alice,
    );
    expect(updated).toEqual({
      ...token,
      name: "build",
      permissions: ["PROJECT_READ", "REPO_WRITE"],
    });
    expect(events.at(-1)).toMatchObject({
      type: "token.updated",
      actor: alice,
      token: updated,
      changes: ["name", "permissions"],
    });
  });

  it("lets a system admin edit and revoke another user's token", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    expect((await tokens.update(token.id, { name: "by admin" }, root)).name).toBe("by admin");
    expect((await tokens.revoke(token.id, root)).status).toBe("revoked");
  });

  it("lets a project admin edit and revoke project tokens, and nobody else but system admins", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(
      { owner: projectP, name: "p", permissions: ["REPO_READ"] },
      alice,
    );
    await expect(tokens.update(token.id, { name: "x" }, bob)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(tokens.revoke(token.id, bob)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await tokens.update(token.id, { name: "y" }, alice)).name).toBe("y");
    expect((await tokens.update(token.id, { name: "z" }, root)).name).toBe("z");
  });

  it("refuses another user editing a personal token", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    await expect(tokens.update(token.id, { name: "mine now" }, bob)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(tokens.get(token.id, bob)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("refuses editing and revoking through a token", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    const viaToken = { userId: "alice", via: "token" } as const;
    await expect(tokens.update(token.id, { name: "x" }, viaToken)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(tokens.revoke(token.id, viaToken)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await tokens.get(token.id, alice)).status).toBe("active");
  });

  it("validates new permissions against the token's kind", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(
      {
        owner: { kind: "repository", projectId: "P", repositoryId: "R1" },
        name: "r",
        permissions: ["REPO_READ"],
      },
      alice,
    );
    const error = await tokens
      .update(token.id, { permissions: ["PROJECT_READ", "REPO_ADMIN"] }, alice)
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.fields).toEqual(["permissions"]);
  });

  it("refuses an empty edit", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    await expect(tokens.update(token.id, {}, alice)).rejects.toBeInstanceOf(ValidationError);
  });

  it("refuses editing a revoked token", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    await tokens.revoke(token.id, alice);
    await expect(tokens.update(token.id, { name: "back" }, alice)).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it("gives one of two concurrent edits a ConflictError, losing neither silently", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    const results = await Promise.allSettled([
      tokens.update(token.id, { name: "first" }, alice),
      tokens.update(token.id, { name: "second" }, alice),
    ]);
    const winners = results.filter((r) => r.status === "fulfilled");
    const losers = results.filter((r) => r.status === "rejected");
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect((losers[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const stored = await tokens.get(token.id, alice);
    expect(stored.name).toBe((winners[0] as PromiseFulfilledResult<{ name: string }>).value.name);
  });

  it("answers NotFoundError for an unknown id", async () => {
    const { tokens } = createHarness();
    await expect(tokens.get("nope", alice)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tokens.update("nope", { name: "x" }, alice)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tokens.revoke("nope", alice)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("revoking", () => {
  it("makes verification fail with reason revoked, and keeps the token listed as revoked", async () => {
    const { tokens, clock, events } = createHarness();
    const { token, secret } = await tokens.create(readToken, alice);
    clock.advance(1000);
    const revoked = await tokens.revoke(token.id, alice);
    expect(revoked.status).toBe("revoked");
    expect(revoked.revokedAt).toEqual(clock.now());
    expect(await tokens.verifyToken(secret)).toEqual({
      ok: false,
      reason: "revoked",
      tokenId: token.id,
    });
    const { items } = await tokens.list({ owner: aliceOwner }, alice);
    expect(items).toEqual([revoked]);
    expect(events.at(-1)).toMatchObject({ type: "token.revoked", token: revoked, actor: alice });
  });

  it("is idempotent: a second revoke keeps the first time and emits nothing", async () => {
    const { tokens, clock, events } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    const first = await tokens.revoke(token.id, alice);
    clock.advance(5000);
    const second = await tokens.revoke(token.id, root);
    expect(second.revokedAt).toEqual(first.revokedAt);
    expect(events.filter((e) => e.type === "token.revoked")).toHaveLength(1);
  });

  it("reports revoked over expired for a token that is both", async () => {
    const { tokens, clock } = createHarness();
    const { token, secret } = await tokens.create({ ...readToken, expiryDays: 1 }, alice);
    await tokens.revoke(token.id, alice);
    clock.advance(2 * 24 * 60 * 60 * 1000);
    expect(await tokens.verifyToken(secret)).toMatchObject({ reason: "revoked" });
  });
});

describe("purging", () => {
  it("deletes revoked and expired tokens for system admins, keeping live ones", async () => {
    const { tokens, clock, store: memory } = createHarness();
    const live = await tokens.create(readToken, alice);
    const revoked = await tokens.create(readToken, alice);
    await tokens.create({ ...readToken, expiryDays: 1 }, alice);
    await tokens.revoke(revoked.token.id, alice);
    clock.advance(2 * 24 * 60 * 60 * 1000);
    await expect(tokens.purge({}, alice)).rejects.toBeInstanceOf(ForbiddenError);
    expect(await tokens.purge({}, root)).toEqual({ deleted: 2 });
    expect(memory.size).toBe(1);
    expect((await tokens.get(live.token.id, alice)).status).toBe("active");
  });
});
