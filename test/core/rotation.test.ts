import {
  ConflictError,
  ForbiddenError,
  LimitExceededError,
  NotFoundError,
  PolicyViolationError,
  ValidationError,
} from "patkit";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, bob, createHarness, projectP, root } from "../support/host.js";
import { harnessPerTest } from "../support/per-test.js";
import { useStoreTargets } from "../support/stores.js";

const targets = useStoreTargets("rotation");
const DAY_MS = 86_400_000;

for (const target of targets) {
  describe(`rotate (${target.name})`, () => {
    const harness = harnessPerTest(target);

    async function personal(expiryDays: number | null = 30) {
      return harness.tokens.create(
        { owner: aliceOwner, name: "laptop", permissions: ["REPO_WRITE"], expiryDays },
        alice,
      );
    }

    it("gives a new token like the old one; the old one works until the grace ends", async () => {
      const { tokens, clock, events } = harness;
      const old = await personal(30);
      clock.advance(10 * DAY_MS);
      const rotated = await tokens.rotate(old.token.id, { graceSeconds: 60 }, alice);
      expect(rotated.token).toMatchObject({
        name: "laptop",
        owner: aliceOwner,
        permissions: ["REPO_WRITE"],
        createdBy: "alice",
        replaces: old.token.id,
        replacedBy: null,
        status: "active",
      });
      expect(rotated.token.id).not.toBe(old.token.id);
      // The old lifetime (30 days) counted from now.
      expect(rotated.token.expiresAt?.getTime()).toBe(clock.now().getTime() + 30 * DAY_MS);
      expect(rotated.previous).toMatchObject({
        id: old.token.id,
        status: "active",
        replacedBy: rotated.token.id,
        revokedReason: "rotated",
      });
      expect(rotated.previous.revokedAt?.getTime()).toBe(clock.now().getTime() + 60_000);
      expect(rotated.previous.expiresAt).toEqual(old.token.expiresAt);
      expect(JSON.stringify(rotated)).not.toContain(rotated.secret);
      expect((await tokens.verifyToken(rotated.secret)).ok).toBe(true);

      clock.advance(59_999);
      expect((await tokens.verifyToken(old.secret)).ok).toBe(true);
      clock.advance(1);
      expect(await tokens.verifyToken(old.secret)).toMatchObject({ ok: false, reason: "revoked" });
      expect((await tokens.get(old.token.id, alice)).status).toBe("revoked");

      const rotatedEvents = events.filter((event) => event.type === "token.rotated");
      expect(rotatedEvents).toHaveLength(1);
      expect(rotatedEvents[0]).toMatchObject({
        actor: alice,
        token: { id: rotated.token.id },
        previous: { id: old.token.id },
      });
    });

    it("takes expiryDays (null for none) and refuses one beyond the policy, changing nothing", async () => {
      const { tokens } = harness;
      const old = await personal(null);
      await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 90 }, root);
      await expect(tokens.rotate(old.token.id, {}, alice)).rejects.toBeInstanceOf(
        PolicyViolationError,
      );
      await expect(tokens.rotate(old.token.id, { expiryDays: 91 }, alice)).rejects.toBeInstanceOf(
        PolicyViolationError,
      );
      expect((await tokens.get(old.token.id, alice)).replacedBy).toBeNull();
      const rotated = await tokens.rotate(old.token.id, { expiryDays: 90 }, alice);
      expect(rotated.token.expiresAt?.getTime()).toBe(harness.clock.now().getTime() + 90 * DAY_MS);
      // Grace 0 by default: the old secret stops now.
      expect(await tokens.verifyToken(old.secret)).toMatchObject({ reason: "revoked" });
    });

    it("ends the grace at the old token's expiry, and renews an expired token", async () => {
      const { tokens, clock } = harness;
      const old = await personal(1);
      clock.advance(DAY_MS - 30_000);
      const rotated = await tokens.rotate(old.token.id, { graceSeconds: 3600 }, alice);
      expect(rotated.previous.revokedAt).toEqual(old.token.expiresAt);
      const expired = await personal(1);
      clock.advance(2 * DAY_MS);
      const renewed = await tokens.rotate(expired.token.id, {}, alice);
      expect(renewed.token.status).toBe("active");
      expect((await tokens.verifyToken(renewed.secret)).ok).toBe(true);
    });

    it("refuses a second rotation, a revoked token, and rotating during the grace", async () => {
      const { tokens } = harness;
      const old = await personal();
      await tokens.rotate(old.token.id, { graceSeconds: 600 }, alice);
      await expect(tokens.rotate(old.token.id, {}, alice)).rejects.toBeInstanceOf(ConflictError);
      const revoked = await personal();
      await tokens.revoke(revoked.token.id, alice);
      await expect(tokens.rotate(revoked.token.id, {}, alice)).rejects.toBeInstanceOf(
        ConflictError,
      );
      await expect(tokens.rotate("nosuchtoken00000", {}, alice)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it("is for whoever may create the token, by session only", async () => {
      const { tokens } = harness;
      const old = await personal();
      await expect(tokens.rotate(old.token.id, {}, root)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        tokens.rotate(old.token.id, {}, { userId: "alice", via: "token" }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      const project = await tokens.create(
        { owner: projectP, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      await expect(tokens.rotate(project.token.id, {}, bob)).rejects.toBeInstanceOf(ForbiddenError);
      const rotated = await tokens.rotate(project.token.id, {}, alice);
      expect(rotated.token.owner).toEqual(projectP);
    });

    it("validates its input", async () => {
      const { tokens } = harness;
      const old = await personal();
      for (const graceSeconds of [-1, 1.5, 604_801, Number.NaN]) {
        const error = await tokens.rotate(old.token.id, { graceSeconds }, alice).catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect([...new Set((error as ValidationError).fields)]).toEqual(["graceSeconds"]);
      }
      await expect(tokens.rotate(old.token.id, { expiryDays: 0 }, alice)).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(
        tokens.rotate(old.token.id, { grace: 5 } as never, alice),
      ).rejects.toBeInstanceOf(ValidationError);
      await tokens.rotate(old.token.id, { graceSeconds: 604_800 }, alice);
    });

    it("never fails on the per-owner limit", async () => {
      const { tokens } = harness;
      const old = await personal();
      await tokens.setPolicy(
        { expiryRequired: false, maxExpiryDays: null, maxTokensPerOwner: 1 },
        root,
      );
      await expect(personal()).rejects.toBeInstanceOf(LimitExceededError);
      const rotated = await tokens.rotate(old.token.id, { graceSeconds: 600 }, alice);
      expect(rotated.token.status).toBe("active");
    });

    it("revoking during the grace ends it now, with that reason", async () => {
      const { tokens, events } = harness;
      const old = await personal();
      await tokens.rotate(old.token.id, { graceSeconds: 600 }, alice);
      const revoked = await tokens.revoke(old.token.id, alice);
      expect(revoked).toMatchObject({ status: "revoked", revokedReason: "manual" });
      expect(revoked.replacedBy).not.toBeNull();
      expect(await tokens.verifyToken(old.secret)).toMatchObject({ reason: "revoked" });
      expect(events.at(-1)).toMatchObject({ type: "token.revoked", reason: "manual" });
      // No reuse event: the token was revoked by hand, not rotated out.
      expect(events.some((event) => event.type === "token.reused")).toBe(false);
    });

    it("reports a rotated-out secret used after the grace, once a minute, revoking nothing", async () => {
      const { tokens, clock, events } = harness;
      const old = await personal();
      const rotated = await tokens.rotate(old.token.id, {}, alice);
      const reused = () => events.filter((event) => event.type === "token.reused");
      for (let i = 0; i < 3; i++) await tokens.verifyToken(old.secret);
      expect(reused()).toHaveLength(1);
      expect(reused()[0]).toMatchObject({ actor: null, token: { id: old.token.id } });
      clock.advance(60_000);
      await tokens.verifyToken(old.secret);
      expect(reused()).toHaveLength(2);
      expect((await tokens.verifyToken(rotated.secret)).ok).toBe(true);
      expect((await tokens.get(rotated.token.id, alice)).status).toBe("active");
    });

    it("records the reason of each revocation", async () => {
      const { tokens, events } = harness;
      const token = await personal();
      const revoked = await tokens.revoke(token.token.id, alice);
      expect(revoked.revokedReason).toBe("manual");
      expect(events.at(-1)).toMatchObject({
        type: "token.revoked",
        actor: alice,
        reason: "manual",
      });
      await tokens.setPolicy(
        { expiryRequired: false, maxExpiryDays: null, revokeUnusedAfterDays: 1 },
        root,
      );
      const unused = await personal();
      harness.clock.advance(2 * DAY_MS);
      await tokens.runMaintenance();
      expect((await tokens.get(unused.token.id, alice)).revokedReason).toBe("unused");
      expect(events.at(-1)).toMatchObject({ type: "token.revoked", actor: null, reason: "unused" });
    });
  });
}

describe("rotation and the verification cache", () => {
  it("ends the grace at its instant exactly, cache or not", async () => {
    const harness = createHarness({ cache: { ttlMs: 3_600_000, maxEntries: 100 } });
    const { tokens, clock } = harness;
    const old = await tokens.create(
      { owner: aliceOwner, name: "laptop", permissions: ["REPO_READ"] },
      alice,
    );
    expect((await tokens.verifyToken(old.secret)).ok).toBe(true); // cached now
    await tokens.rotate(old.token.id, { graceSeconds: 30 }, alice);
    clock.advance(29_999);
    expect((await tokens.verifyToken(old.secret)).ok).toBe(true);
    clock.advance(1);
    expect(await tokens.verifyToken(old.secret)).toMatchObject({ ok: false, reason: "revoked" });
    await tokens.close();
  });
});
