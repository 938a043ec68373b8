import { ForbiddenError, ValidationError } from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, root } from "../support/host.js";
import { harnessPerTest } from "../support/per-test.js";
import { useStoreTargets } from "../support/stores.js";
import { withOtherSecret } from "../support/token-strings.js";

const targets = useStoreTargets("leaked");

for (const target of targets) {
  describe(`inspect and revokeLeaked (${target.name})`, () => {
    const harness = harnessPerTest(target);

    const personal = (name = "laptop") =>
      harness.tokens.create(
        { owner: aliceOwner, name, permissions: ["REPO_READ"], expiryDays: 30 },
        alice,
      );

    /** The same token id with another secret (valid checksum): nobody's token. */
    const forged = (secret: string) => withOtherSecret(secret, "A".repeat(43));

    it("inspect: the token of this exact secret, any status, for system admins by session", async () => {
      const { tokens } = harness;
      const { token, secret } = await personal();
      expect(await tokens.inspect(secret, root)).toMatchObject({ id: token.id, status: "active" });
      await tokens.revoke(token.id, alice);
      expect(await tokens.inspect(secret, root)).toMatchObject({ status: "revoked" });
      expect(await tokens.inspect(forged(secret), root)).toBeNull();
      expect(await tokens.inspect("pat_nothing", root)).toBeNull();
      expect(await tokens.inspect("", root)).toBeNull();
      await expect(tokens.inspect(secret, alice)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(tokens.inspect(secret, { userId: "root", via: "token" })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      const error = await tokens.inspect(42 as never, root).catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.fields).toEqual(["secret"]);
    });

    it("revokeLeaked: revokes the live ones with reason leaked, counts the matched", async () => {
      const { tokens, events, clock } = harness;
      const live = await personal("live");
      const revoked = await personal("revoked");
      await tokens.revoke(revoked.token.id, alice);
      const expired = await tokens.create(
        { owner: aliceOwner, name: "old", permissions: ["REPO_READ"], expiryDays: 1 },
        alice,
      );
      clock.advance(2 * 86_400_000);
      const other = await personal("other");
      const result = await tokens.revokeLeaked(
        [live.secret, live.secret, revoked.secret, expired.secret, forged(other.secret), "junk"],
        { source: "commit", url: "https://github.com/o/r/blob/x/.env" },
      );
      expect(result).toEqual({ matched: 3, revoked: 1 });
      expect(await tokens.get(live.token.id, alice)).toMatchObject({
        status: "revoked",
        revokedReason: "leaked",
      });
      expect((await tokens.get(other.token.id, alice)).status).toBe("active");
      expect((await tokens.get(revoked.token.id, alice)).revokedReason).toBe("manual");
      const leaked = events.filter(
        (event) => event.type === "token.revoked" && event.reason === "leaked",
      );
      expect(leaked).toHaveLength(1);
      expect(leaked[0]).toMatchObject({
        actor: null,
        token: { id: live.token.id },
        report: { source: "commit", url: "https://github.com/o/r/blob/x/.env" },
      });
      expect(JSON.stringify(events)).not.toContain(live.secret);
      expect(await tokens.revokeLeaked([live.secret])).toEqual({ matched: 1, revoked: 0 });
    });

    it("revokeLeaked ends a rotated token's grace period now", async () => {
      const { tokens } = harness;
      const old = await personal();
      await tokens.rotate(old.token.id, { graceSeconds: 3600 }, alice);
      expect(await tokens.revokeLeaked([old.secret], {})).toEqual({ matched: 1, revoked: 1 });
      expect(await tokens.verifyToken(old.secret)).toMatchObject({ reason: "revoked" });
      expect((await tokens.get(old.token.id, alice)).revokedReason).toBe("leaked");
    });

    it("revokeLeaked validates: at most 1000 strings, strings only, a known report", async () => {
      const { tokens } = harness;
      expect(await tokens.revokeLeaked(Array.from({ length: 1000 }, () => "x"))).toEqual({
        matched: 0,
        revoked: 0,
      });
      const tooMany = await tokens
        .revokeLeaked(Array.from({ length: 1001 }, () => "x"))
        .catch((e) => e);
      expect(tooMany).toBeInstanceOf(ValidationError);
      expect(tooMany.fields).toEqual(["secrets"]);
      const notText = await tokens.revokeLeaked(["a", 7 as never]).catch((e) => e);
      expect(notText.fields).toEqual(["secrets.1"]);
      await expect(tokens.revokeLeaked("pat_x" as never)).rejects.toBeInstanceOf(ValidationError);
      await expect(tokens.revokeLeaked([], { from: "x" } as never)).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
  });
}
