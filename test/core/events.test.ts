import { describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, root } from "../support/host.js";

describe("audit events", () => {
  it("emits created, updated and revoked after each change, with actor, time and view", async () => {
    const { tokens, events, clock } = createHarness();
    const { token } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    clock.advance(1000);
    const updated = await tokens.update(token.id, { name: "build" }, alice);
    clock.advance(1000);
    const revoked = await tokens.revoke(token.id, root);
    expect(events).toEqual([
      { type: "token.created", at: token.createdAt, actor: alice, token },
      {
        type: "token.updated",
        at: new Date(token.createdAt.getTime() + 1000),
        actor: alice,
        token: updated,
        changes: ["name"],
      },
      {
        type: "token.revoked",
        at: revoked.revokedAt,
        actor: root,
        token: revoked,
        reason: "manual",
      },
    ]);
  });

  it("emits nothing for a refused change", async () => {
    const { tokens, events } = createHarness();
    await tokens
      .create({ owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] }, { userId: "bob" })
      .catch(() => {});
    expect(events).toEqual([]);
  });

  it("survives a throwing hook: the change stands and the error goes to onError", async () => {
    const errors: unknown[] = [];
    const boom = new Error("audit log down");
    const { tokens, store: memory } = createHarness({
      onEvent: () => {
        throw boom;
      },
      onError: (error) => {
        errors.push(error);
      },
    });
    const { token } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect(memory.size).toBe(1);
    expect(errors).toEqual([boom]);
    expect((await tokens.revoke(token.id, alice)).status).toBe("revoked");
    expect(errors).toHaveLength(2);
  });

  it("survives a rejecting hook and a throwing onError", async () => {
    const { tokens } = createHarness({
      onEvent: () => Promise.reject(new Error("later")),
      onError: () => {
        throw new Error("error hook down too");
      },
    });
    const { token } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    expect(token.status).toBe("active");
    await new Promise((resolve) => setTimeout(resolve, 0));
  });

  it("hands the rejection of an async hook to onError", async () => {
    const errors: unknown[] = [];
    const { tokens } = createHarness({
      onEvent: () => Promise.reject(new Error("later")),
      onError: (error, context) => {
        errors.push([String(error), context]);
      },
    });
    await tokens.create({ owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] }, alice);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(errors).toEqual([["Error: later", { source: "onEvent" }]]);
  });
});
