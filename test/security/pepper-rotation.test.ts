import type { Pepper, TokenStore } from "patkit";
import type { TokenRecord } from "patkit/store";
import { describe, expect, it } from "vitest";
import { faultyStore } from "../support/faulty-store.js";
import { alice, aliceOwner, createHarness } from "../support/host.js";
import { useStoreTargets } from "../support/stores.js";
import { expectedHash } from "../support/token-strings.js";

const targets = useStoreTargets("pepper");

async function stored(store: TokenStore, secret: string): Promise<TokenRecord> {
  const record = await store.findById(secret.slice(4, 20));
  if (record === null) throw new Error("the token is not stored");
  return record;
}

function hashedWith(record: TokenRecord, secret: string, pepper: string): boolean {
  return Buffer.from(record.secretHash).equals(expectedHash(secret, pepper));
}

for (const target of targets) {
  describe(`pepper rotation on the ${target.name}`, () => {
    it("old tokens verify during a rotation, are re-hashed, and outlive the old pepper", async () => {
      const { store, close } = await target.open();
      try {
        // Before: one pepper.
        const before = createHarness({ store, pepper: "pepper-1" });
        const used = await before.tokens.create(
          { owner: aliceOwner, name: "used", permissions: ["REPO_READ"] },
          alice,
        );
        const idle = await before.tokens.create(
          { owner: aliceOwner, name: "idle", permissions: ["REPO_READ"] },
          alice,
        );
        expect(hashedWith(await stored(store, used.secret), used.secret, "pepper-1")).toBe(true);

        // During: a new current pepper, the old one still accepted.
        const during = createHarness({ store, pepper: ["pepper-2", "pepper-1"] });
        const version = (await stored(store, used.secret)).version;
        expect(await during.tokens.verifyToken(used.secret)).toMatchObject({ ok: true });
        await during.counting.idle();
        const rehashed = await stored(store, used.secret);
        expect(hashedWith(rehashed, used.secret, "pepper-2")).toBe(true);
        expect(rehashed.version).toBe(version + 1);
        expect(rehashed.name).toBe("used");
        // Once re-hashed, verifying writes nothing more.
        during.counting.reset();
        expect(await during.tokens.verifyToken(used.secret)).toMatchObject({ ok: true });
        await during.counting.idle();
        expect(during.counting.count("updateIfVersion")).toBe(0);
        // New tokens get the current pepper at once.
        const fresh = await during.tokens.create(
          { owner: aliceOwner, name: "fresh", permissions: ["REPO_READ"] },
          alice,
        );
        expect(hashedWith(await stored(store, fresh.secret), fresh.secret, "pepper-2")).toBe(true);

        // After: the old pepper is dropped.
        const after = createHarness({ store, pepper: "pepper-2" });
        expect(await after.tokens.verifyToken(used.secret)).toMatchObject({ ok: true });
        expect(await after.tokens.verifyToken(fresh.secret)).toMatchObject({ ok: true });
        // A token nobody used during the rotation still carries the old pepper: it is lost.
        expect(await after.tokens.verifyToken(idle.secret)).toEqual({
          ok: false,
          reason: "unknown",
        });
        expect(hashedWith(await stored(store, idle.secret), idle.secret, "pepper-1")).toBe(true);
        // Without a pepper at all nothing verifies: the pepper is part of the hash.
        const none = createHarness({ store });
        expect(await none.tokens.verifyToken(used.secret)).toEqual({
          ok: false,
          reason: "unknown",
        });
      } finally {
        await close();
      }
    });

    it("works across several earlier peppers, and string and byte peppers are the same key", async () => {
      const { store, close } = await target.open();
      try {
        const first = createHarness({ store, pepper: "pepper-1" });
        const created = await first.tokens.create(
          { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] },
          alice,
        );
        const peppers: Pepper[] = ["pepper-3", "pepper-2", new TextEncoder().encode("pepper-1")];
        const third = createHarness({ store, pepper: peppers });
        expect(await third.tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
        await third.counting.idle();
        expect(hashedWith(await stored(store, created.secret), created.secret, "pepper-3")).toBe(
          true,
        );
        const only = createHarness({ store, pepper: new TextEncoder().encode("pepper-3") });
        expect(await only.tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
      } finally {
        await close();
      }
    });

    it("a wrong secret, a revoked or an expired token is never re-hashed", async () => {
      const { store, close } = await target.open();
      try {
        const first = createHarness({ store, pepper: "pepper-1" });
        const revoked = await first.tokens.create(
          { owner: aliceOwner, name: "revoked", permissions: ["REPO_READ"] },
          alice,
        );
        await first.tokens.revoke(revoked.token.id, alice);
        const live = await first.tokens.create(
          { owner: aliceOwner, name: "live", permissions: ["REPO_READ"] },
          alice,
        );
        const rotating = createHarness({ store, pepper: ["pepper-2", "pepper-1"] });
        const wrong = `${live.secret.slice(0, 20)}${"A".repeat(43)}`;
        expect(await rotating.tokens.verifyToken(wrong)).toMatchObject({ ok: false });
        expect(await rotating.tokens.verifyToken(revoked.secret)).toMatchObject({
          ok: false,
          reason: "revoked",
        });
        await rotating.counting.idle();
        // A revoked token matched under the old pepper may be re-hashed; it stays revoked.
        const after = await stored(store, revoked.secret);
        expect(after.revokedAt).not.toBeNull();
        expect(hashedWith(await stored(store, live.secret), live.secret, "pepper-1")).toBe(true);
      } finally {
        await close();
      }
    });

    it("a failed re-hash fails no verify, is reported, and is retried by the next verify", async () => {
      const { store, close } = await target.open();
      try {
        const first = createHarness({ store, pepper: "pepper-1" });
        const created = await first.tokens.create(
          { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] },
          alice,
        );
        const faults = faultyStore(store);
        const rotating = createHarness({ store: faults.store, pepper: ["pepper-2", "pepper-1"] });
        faults.failNext("updateIfVersion");
        expect(await rotating.tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
        await rotating.counting.idle();
        expect(rotating.errors.map((reported) => reported.context.source)).toEqual(["rehash"]);
        expect(rotating.errors[0]?.error).toMatchObject({ code: "STORE_UNAVAILABLE" });
        expect(hashedWith(await stored(store, created.secret), created.secret, "pepper-1")).toBe(
          true,
        );
        expect(await rotating.tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
        await rotating.counting.idle();
        expect(hashedWith(await stored(store, created.secret), created.secret, "pepper-2")).toBe(
          true,
        );
      } finally {
        await close();
      }
    });

    it("a re-hash racing an edit loses nothing: the edit stands and the token still verifies", async () => {
      const { store, close } = await target.open();
      try {
        const first = createHarness({ store, pepper: "pepper-1" });
        const created = await first.tokens.create(
          { owner: aliceOwner, name: "before", permissions: ["REPO_READ"] },
          alice,
        );
        const rotating = createHarness({ store, pepper: ["pepper-2", "pepper-1"] });
        const [verified, edited] = await Promise.allSettled([
          rotating.tokens.verifyToken(created.secret),
          rotating.tokens.update(created.token.id, { name: "after" }, alice),
        ]);
        await rotating.counting.idle();
        expect(verified).toMatchObject({ status: "fulfilled", value: { ok: true } });
        const record = await stored(store, created.secret);
        if (edited.status === "fulfilled") expect(record.name).toBe("after");
        else expect(edited.reason).toMatchObject({ code: "CONFLICT" });
        // Whichever won, the token verifies under the new pepper alone after one more verify.
        await rotating.tokens.verifyToken(created.secret);
        await rotating.counting.idle();
        const after = createHarness({ store, pepper: "pepper-2" });
        expect(await after.tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
      } finally {
        await close();
      }
    });
  });
}
