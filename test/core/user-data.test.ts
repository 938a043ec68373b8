import { type Actor, ForbiddenError, ValidationError } from "patkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  alice,
  aliceOwner,
  bob,
  createHarness,
  type Harness,
  projectP,
  root,
} from "../support/host.js";
import { type OpenedStore, useStoreTargets } from "../support/stores.js";

const targets = useStoreTargets("userdata");
const readToken = { name: "laptop", permissions: ["REPO_READ"] } as const;

for (const target of targets) {
  describe(`a user's data (${target.name})`, () => {
    let opened: OpenedStore;
    let harness: Harness;
    beforeEach(async () => {
      opened = await target.open();
      harness = createHarness({ store: opened.store });
    });
    afterEach(async () => {
      await harness.tokens.close();
      await opened.close();
    });

    async function aliceTokens() {
      const { tokens, clock } = harness;
      // A millisecond apart, so the export's order (oldest first) is known.
      const personal = await tokens.create({ owner: aliceOwner, ...readToken }, alice);
      clock.advance(1);
      const revoked = await tokens.create(
        { owner: aliceOwner, ...readToken, expiryDays: 1 },
        alice,
      );
      clock.advance(1);
      await tokens.revoke(revoked.token.id, alice);
      const project = await tokens.create({ owner: projectP, ...readToken }, alice);
      const bobs = await tokens.create(
        { owner: { kind: "user", userId: "bob" }, ...readToken },
        bob,
      );
      return { personal, revoked, project, bobs };
    }

    it("exports a user's personal tokens (any status) and the tokens they created", async () => {
      const { personal, revoked, project } = await aliceTokens();
      const exported = await harness.tokens.exportUser("alice", alice);
      expect(exported.userId).toBe("alice");
      expect(exported.personalTokens.map((token) => [token.id, token.status])).toEqual([
        [personal.token.id, "active"],
        [revoked.token.id, "revoked"],
      ]);
      expect(exported.createdTokens.map((token) => token.id)).toEqual([
        personal.token.id,
        revoked.token.id,
        project.token.id,
      ]);
      // A person can read it: plain JSON, no hashes, no secrets.
      const json = JSON.parse(JSON.stringify(exported));
      expect(json.personalTokens[0]).toMatchObject({ name: "laptop", owner: aliceOwner });
      expect(JSON.stringify(exported)).not.toContain(personal.secret);
      expect(await harness.tokens.exportUser("alice", { userId: "root", via: "session" })).toEqual(
        exported,
      );
    });

    it("exports only for the user themself or a system admin, signed in by session", async () => {
      await aliceTokens();
      await expect(harness.tokens.exportUser("alice", bob)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        harness.tokens.exportUser("alice", { userId: "alice", via: "token" }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        harness.tokens.exportUser("alice", { userId: "root", via: "token" }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(harness.tokens.exportUser("", alice)).rejects.toBeInstanceOf(ValidationError);
    });

    it("erases a user: personal tokens gone, createdBy pseudonymized, one user.erased event", async () => {
      const { personal, revoked, project, bobs } = await aliceTokens();
      harness.events.length = 0;
      const result = await harness.tokens.eraseUser("alice", { pseudonym: "erased-1" }, root);
      expect(result).toEqual({ deleted: 2, pseudonymized: 1 });
      expect(harness.events).toEqual([
        { type: "user.erased", at: harness.clock.now(), actor: root, pseudonym: "erased-1" },
      ]);
      expect(JSON.stringify(harness.events)).not.toContain("alice");
      for (const gone of [personal, revoked]) {
        expect(await opened.store.findById(gone.token.id)).toBeNull();
        expect(await harness.tokens.verifyToken(gone.secret)).toEqual({
          ok: false,
          reason: "unknown",
        });
      }
      expect((await harness.tokens.get(project.token.id, root)).createdBy).toBe("erased-1");
      expect((await harness.tokens.get(bobs.token.id, root)).createdBy).toBe("bob");
      expect((await harness.tokens.verifyToken(project.secret)).ok).toBe(true);
      const after = await harness.tokens.exportUser("alice", root);
      expect(after).toEqual({ userId: "alice", personalTokens: [], createdTokens: [] });
    });

    it("erases only for system admins signed in by session, with a pseudonym that is not the id", async () => {
      const { personal } = await aliceTokens();
      const erase = (actor: Actor, pseudonym = "p") =>
        harness.tokens.eraseUser("alice", { pseudonym }, actor);
      await expect(erase(alice)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(erase({ userId: "root", via: "token" } as never)).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      for (const pseudonym of ["", "alice", "a\u0000b"]) {
        await expect(erase(root, pseudonym)).rejects.toBeInstanceOf(ValidationError);
      }
      await expect(harness.tokens.eraseUser("alice", {} as never, root)).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(await opened.store.findById(personal.token.id)).not.toBeNull();
    });
  });
}
