import { ExpiryImmutableError, PolicyViolationError } from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, root } from "../support/host.js";

const DAY = 24 * 60 * 60 * 1000;
const readToken = { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] } as const;

describe("expiry", () => {
  it("sets expiresAt exactly expiryDays x 24 hours after creation", async () => {
    const { tokens, clock } = createHarness();
    // 2026-03-29 is a DST change in Europe: no calendar rounding may creep in.
    clock.set("2026-03-28T10:15:30.123Z");
    const { token } = await tokens.create({ ...readToken, expiryDays: 2 }, alice);
    expect(token.createdAt.toISOString()).toBe("2026-03-28T10:15:30.123Z");
    expect(token.expiresAt?.toISOString()).toBe("2026-03-30T10:15:30.123Z");
  });

  it("expires from the instant now >= expiresAt, not a millisecond before", async () => {
    const { tokens, clock } = createHarness();
    const { token, secret } = await tokens.create({ ...readToken, expiryDays: 1 }, alice);
    clock.advance(DAY - 1);
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    expect((await tokens.get(token.id, alice)).status).toBe("active");
    clock.advance(1);
    expect(await tokens.verifyToken(secret)).toEqual({
      ok: false,
      reason: "expired",
      tokenId: token.id,
    });
    expect((await tokens.get(token.id, alice)).status).toBe("expired");
  });

  it("keeps expired tokens listed with their status", async () => {
    const { tokens, clock } = createHarness();
    await tokens.create({ ...readToken, expiryDays: 1 }, alice);
    clock.advance(2 * DAY);
    const { items } = await tokens.list({ owner: aliceOwner }, alice);
    expect(items.map((t) => t.status)).toEqual(["expired"]);
  });

  it("refuses to change a set expiry, by days or by date, and changes nothing", async () => {
    const { tokens, events } = createHarness();
    const { token } = await tokens.create({ ...readToken, expiryDays: 7 }, alice);
    await expect(tokens.update(token.id, { expiryDays: 30 }, alice)).rejects.toBeInstanceOf(
      ExpiryImmutableError,
    );
    await expect(tokens.update(token.id, { expiryDays: 1 }, root)).rejects.toMatchObject({
      code: "EXPIRY_IMMUTABLE",
    });
    await expect(
      tokens.update(token.id, { expiresAt: new Date("2099-01-01") }, alice),
    ).rejects.toBeInstanceOf(ExpiryImmutableError);
    await expect(tokens.update(token.id, { expiryDays: null }, alice)).rejects.toBeInstanceOf(
      ExpiryImmutableError,
    );
    await expect(
      tokens.update(token.id, { name: "renamed", expiryDays: 30 }, alice),
    ).rejects.toBeInstanceOf(ExpiryImmutableError);
    const after = await tokens.get(token.id, alice);
    expect(after.expiresAt).toEqual(token.expiresAt);
    expect(after.name).toBe("ci");
    expect(events.filter((e) => e.type === "token.updated")).toEqual([]);
  });

  it("lets a token without expiry be given one, once", async () => {
    const { tokens, clock } = createHarness();
    const { token, secret } = await tokens.create(readToken, alice);
    clock.advance(DAY);
    const updated = await tokens.update(token.id, { expiryDays: 3 }, alice);
    expect(updated.expiresAt?.getTime()).toBe(clock.now().getTime() + 3 * DAY);
    await expect(tokens.update(token.id, { expiryDays: 10 }, alice)).rejects.toBeInstanceOf(
      ExpiryImmutableError,
    );
    clock.advance(3 * DAY);
    expect(await tokens.verifyToken(secret)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("holds a newly given expiry to the policy's maximum", async () => {
    const { tokens } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 10 }, root);
    await expect(tokens.update(token.id, { expiryDays: 11 }, alice)).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect((await tokens.update(token.id, { expiryDays: 10 }, alice)).expiresAt).not.toBeNull();
  });

  it("refuses an explicit expiry in the past", async () => {
    const { tokens, clock } = createHarness();
    const { token } = await tokens.create(readToken, alice);
    const error = await tokens
      .update(token.id, { expiresAt: new Date(clock.now().getTime() - 1) }, alice)
      .catch((e) => e);
    expect(error.fields).toEqual(["expiresAt"]);
  });
});
