import { ForbiddenError, ValidationError } from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, bob, createHarness, projectP, root } from "../support/host.js";

describe("listing", () => {
  async function createMany(n: number) {
    const context = createHarness();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      context.clock.advance(i % 3 === 0 ? 0 : 1000); // some share a creation instant
      const { token } = await context.tokens.create(
        { owner: aliceOwner, name: `t${i}`, permissions: ["REPO_READ"] },
        alice,
      );
      ids.push(token.id);
    }
    return { ...context, ids };
  }

  it("pages through every token once, oldest first, with a cursor", async () => {
    const { tokens, ids } = await createMany(12);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await tokens.list({ owner: aliceOwner, cursor, limit: 5 }, alice);
      seen.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(12);
    const all = await tokens.list({ owner: aliceOwner, limit: 100 }, alice);
    expect(all.items.map((t) => t.id)).toEqual(seen);
    expect(all.nextCursor).toBeNull();
  });

  it("gives a null cursor when the last page is exactly full", async () => {
    const { tokens } = await createMany(4);
    const page = await tokens.list({ owner: aliceOwner, limit: 4 }, alice);
    expect(page.items).toHaveLength(4);
    expect(page.nextCursor).toBeNull();
  });

  it("keeps owners apart", async () => {
    const { tokens } = await createMany(2);
    await tokens.create({ owner: projectP, name: "p", permissions: ["REPO_READ"] }, alice);
    expect((await tokens.list({ owner: projectP }, alice)).items).toHaveLength(1);
    expect((await tokens.list({ owner: { kind: "user", userId: "bob" } }, bob)).items).toHaveLength(
      0,
    );
  });

  it("shows a user's tokens to the user and system admins only", async () => {
    const { tokens } = await createMany(1);
    await expect(tokens.list({ owner: aliceOwner }, bob)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await tokens.list({ owner: aliceOwner }, root)).items).toHaveLength(1);
  });

  it("lists every token for system admins only", async () => {
    const { tokens } = await createMany(3);
    await tokens.create({ owner: projectP, name: "p", permissions: ["REPO_READ"] }, alice);
    await expect(tokens.list({}, alice)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await tokens.list({}, root)).items).toHaveLength(4);
  });

  it("allows reading through a token (only changes are refused)", async () => {
    const { tokens } = await createMany(1);
    expect(
      (await tokens.list({ owner: aliceOwner }, { userId: "alice", via: "token" })).items,
    ).toHaveLength(1);
  });

  it("rejects a forged cursor and an out-of-range limit, naming the field", async () => {
    const { tokens } = await createMany(1);
    const badCursor = await tokens
      .list({ owner: aliceOwner, cursor: "../../etc" }, alice)
      .catch((e) => e);
    expect(badCursor).toBeInstanceOf(ValidationError);
    expect(badCursor.fields).toEqual(["cursor"]);
    const badLimit = await tokens.list({ owner: aliceOwner, limit: 0 }, alice).catch((e) => e);
    expect(badLimit.fields).toEqual(["limit"]);
  });

  it("pages by offset, oldest first, and leaves revoked tokens out on request", async () => {
    const { tokens } = await createMany(7);
    // Tokens created at one instant are ordered by id: the listing order is the reference.
    const ids = (await tokens.list({ owner: aliceOwner, limit: 100 }, alice)).items.map(
      (t) => t.id,
    );
    const page = await tokens.list({ owner: aliceOwner, offset: 2, limit: 3 }, alice);
    expect(page.items.map((t) => t.id)).toEqual(ids.slice(2, 5));
    expect(page.nextCursor).not.toBeNull();
    const last = await tokens.list({ owner: aliceOwner, offset: 5, limit: 3 }, alice);
    expect(last.items.map((t) => t.id)).toEqual(ids.slice(5));
    expect(last.nextCursor).toBeNull();

    await tokens.revoke(ids[0] as string, alice);
    await tokens.revoke(ids[3] as string, alice);
    const all = await tokens.list({ owner: aliceOwner, limit: 100 }, alice);
    expect(all.items).toHaveLength(7);
    const live = await tokens.list(
      { owner: aliceOwner, includeRevoked: false, offset: 1, limit: 100 },
      alice,
    );
    expect(live.items.map((t) => t.id)).toEqual([ids[2], ids[4], ids[5], ids[6]]);
  });

  it("keeps a rotated token in its grace period when revoked tokens are left out, until the grace ends", async () => {
    const { tokens, clock, ids } = await createMany(3);
    clock.advance(1000); // the new token is created after the others
    const rotated = await tokens.rotate(ids[0] as string, { graceSeconds: 60 }, alice);
    const live = async (offset = 0) =>
      (
        await tokens.list({ owner: aliceOwner, includeRevoked: false, offset, limit: 100 }, alice)
      ).items.map((t) => t.id);
    clock.advance(59_999);
    expect(await live()).toEqual([ids[0], ids[1], ids[2], rotated.token.id]);
    expect(await live(3)).toEqual([rotated.token.id]);
    clock.advance(1);
    expect(await live()).toEqual([ids[1], ids[2], rotated.token.id]);
    expect(await live(2)).toEqual([rotated.token.id]);
  });

  it("lists a non-compliant token that still works in its grace period as non-compliant, until the grace ends", async () => {
    const { tokens, clock, ids } = await createMany(2);
    await tokens.rotate(ids[0] as string, { graceSeconds: 60, expiryDays: 10 }, alice);
    await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
    const nonCompliant = async () =>
      (await tokens.listNonCompliant({ owner: aliceOwner }, alice)).items.map((t) => t.id);
    clock.advance(59_999);
    expect(await nonCompliant()).toEqual([ids[0], ids[1]]);
    clock.advance(1);
    expect(await nonCompliant()).toEqual([ids[1]]);
  });

  it("rejects a negative, fractional or huge offset and a non-boolean includeRevoked", async () => {
    const { tokens } = await createMany(1);
    for (const offset of [-1, 1.5, 2 ** 31, Number.NaN]) {
      const error = await tokens.list({ owner: aliceOwner, offset }, alice).catch((e) => e);
      expect(error, String(offset)).toBeInstanceOf(ValidationError);
      expect(error.fields).toEqual(["offset"]);
    }
    const error = await tokens
      .list({ owner: aliceOwner, includeRevoked: "no" as never }, alice)
      .catch((e) => e);
    expect(error.fields).toEqual(["includeRevoked"]);
  });
});
