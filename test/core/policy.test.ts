import {
  DEFAULT_POLICY,
  ForbiddenError,
  isCompliant,
  LimitExceededError,
  PolicyViolationError,
  ValidationError,
} from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, bob, createHarness, projectP, root } from "../support/host.js";

const readToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] } as const;

describe("the global policy", () => {
  it("starts permissive", async () => {
    const { tokens } = createHarness();
    expect(await tokens.getPolicy()).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY).toStrictEqual({ expiryRequired: false, maxExpiryDays: null });
  });

  it("leaves maxTokensPerOwner out of the policy when there is no limit", async () => {
    const { tokens } = createHarness();
    const set = await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
    expect(set).toStrictEqual({ expiryRequired: true, maxExpiryDays: 30 });
    expect(await tokens.getPolicy()).toStrictEqual({ expiryRequired: true, maxExpiryDays: 30 });
    await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30, maxTokensPerOwner: 4 }, root);
    expect(await tokens.getPolicy()).toStrictEqual({
      expiryRequired: true,
      maxExpiryDays: 30,
      maxTokensPerOwner: 4,
    });
  });

  it("is set by system admins only, and never through a token", async () => {
    const { tokens } = createHarness();
    const policy = { expiryRequired: true, maxExpiryDays: 90, maxTokensPerOwner: 5 };
    await expect(tokens.setPolicy(policy, alice)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(tokens.setPolicy(policy, { userId: "root", via: "token" })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(await tokens.getPolicy()).toEqual(DEFAULT_POLICY);
    expect(await tokens.setPolicy(policy, root)).toEqual(policy);
    expect(await tokens.getPolicy()).toEqual(policy);
  });

  it("rejects an invalid policy naming the field, and keeps the old one", async () => {
    const { tokens } = createHarness();
    const error = await tokens
      .setPolicy({ expiryRequired: true, maxExpiryDays: 0 }, root)
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.fields).toEqual(["maxExpiryDays"]);
    expect(await tokens.getPolicy()).toEqual(DEFAULT_POLICY);
  });

  it("refuses a token without expiry when expiry is required", async () => {
    const { tokens, store: memory } = createHarness();
    await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
    await expect(tokens.create(readToken, alice)).rejects.toBeInstanceOf(PolicyViolationError);
    expect(memory.size).toBe(0);
  });

  it("refuses an expiry beyond the maximum and accepts the maximum itself", async () => {
    const { tokens } = createHarness();
    await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
    await expect(tokens.create({ ...readToken, expiryDays: 31 }, alice)).rejects.toMatchObject({
      code: "POLICY_VIOLATION",
    });
    const { token } = await tokens.create({ ...readToken, expiryDays: 30 }, alice);
    expect(token.expiresAt).not.toBeNull();
  });

  it("keeps existing tokens working after a stricter policy, and lists them as not compliant", async () => {
    const { tokens } = createHarness();
    const { token, secret } = await tokens.create(readToken, alice);
    const policy = await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    const [listed] = (await tokens.list({ owner: aliceOwner }, alice)).items;
    expect(listed?.status).toBe("active");
    expect(isCompliant(token, policy)).toBe(false);
  });

  it("judges compliance by expiry presence and lifetime", () => {
    const createdAt = new Date("2026-01-01T00:00:00Z");
    const in30 = new Date("2026-01-31T00:00:00Z");
    const policy = { expiryRequired: true, maxExpiryDays: 30 };
    expect(isCompliant({ createdAt, expiresAt: in30 }, policy)).toBe(true);
    expect(isCompliant({ createdAt, expiresAt: new Date(in30.getTime() + 1) }, policy)).toBe(false);
    expect(isCompliant({ createdAt, expiresAt: null }, policy)).toBe(false);
    expect(isCompliant({ createdAt, expiresAt: null }, DEFAULT_POLICY)).toBe(true);
  });

  it("emits policy.updated with the new and previous policy", async () => {
    const { tokens, events } = createHarness();
    await tokens.setPolicy(
      { expiryRequired: false, maxExpiryDays: null, maxTokensPerOwner: 3 },
      root,
    );
    expect(events).toEqual([
      expect.objectContaining({
        type: "policy.updated",
        actor: root,
        policy: { expiryRequired: false, maxExpiryDays: null, maxTokensPerOwner: 3 },
        previous: { expiryRequired: false, maxExpiryDays: null },
      }),
    ]);
  });
});

describe("the per-owner limit", () => {
  it("refuses the token after the limit, for that owner only", async () => {
    const { tokens } = createHarness();
    await tokens.setPolicy(
      { expiryRequired: false, maxExpiryDays: null, maxTokensPerOwner: 2 },
      root,
    );
    await tokens.create(readToken, alice);
    await tokens.create(readToken, alice);
    await expect(tokens.create(readToken, alice)).rejects.toBeInstanceOf(LimitExceededError);
    await tokens.create({ owner: projectP, name: "p", permissions: ["REPO_READ"] }, alice);
    await tokens.create(
      { owner: { kind: "user", userId: "bob" }, name: "b", permissions: ["REPO_READ"] },
      bob,
    );
  });

  it("counts neither revoked nor expired tokens", async () => {
    const { tokens, clock } = createHarness();
    await tokens.setPolicy(
      { expiryRequired: false, maxExpiryDays: null, maxTokensPerOwner: 2 },
      root,
    );
    const first = await tokens.create(readToken, alice);
    await tokens.create({ ...readToken, expiryDays: 1 }, alice);
    await tokens.revoke(first.token.id, alice);
    await tokens.create(readToken, alice);
    await expect(tokens.create(readToken, alice)).rejects.toBeInstanceOf(LimitExceededError);
    clock.advance(24 * 60 * 60 * 1000);
    await tokens.create(readToken, alice);
  });

  it("holds under 50 concurrent creates against a limit of 10", async () => {
    const { tokens, store: memory } = createHarness();
    await tokens.setPolicy(
      { expiryRequired: false, maxExpiryDays: null, maxTokensPerOwner: 10 },
      root,
    );
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => tokens.create(readToken, alice)),
    );
    const created = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(created).toHaveLength(10);
    expect(refused.every((r) => r.reason instanceof LimitExceededError)).toBe(true);
    expect(memory.size).toBe(10);
  });
});

describe("listing tokens that do not comply", () => {
  it("finds the live tokens a stricter policy would refuse, page by page", async () => {
    const { tokens, clock } = createHarness();
    const forever = [];
    for (let i = 0; i < 5; i++)
      forever.push((await tokens.create({ ...readToken, name: `f${i}` }, alice)).token.id);
    const long = (await tokens.create({ ...readToken, expiryDays: 365 }, alice)).token.id;
    await tokens.create({ ...readToken, expiryDays: 10 }, alice); // complies
    const revoked = await tokens.create(readToken, alice);
    await tokens.revoke(revoked.token.id, alice); // not live: not a concern
    await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
    clock.advance(1000);

    await expect(tokens.listNonCompliant({}, alice)).rejects.toBeInstanceOf(ForbiddenError);
    const first = await tokens.listNonCompliant({ limit: 4 }, root);
    expect(first.items).toHaveLength(4);
    const second = await tokens.listNonCompliant({ limit: 4, cursor: first.nextCursor }, root);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items].map((t) => t.id);
    expect(new Set(ids)).toEqual(new Set([...forever, long]));
    const own = await tokens.listNonCompliant({ owner: aliceOwner }, alice);
    expect(own.items).toHaveLength(6);
  });
});
