import {
  type AccessTokenEvent,
  type AccessTokens,
  ConflictError,
  createAccessTokens,
  createManualClock,
  DAY_MS,
  ForbiddenError,
  PolicyViolationError,
  type TokenView,
  ValidationError,
} from "patkit";
import { createBitbucketApi } from "patkit/bitbucket";
import { createSecretScanningHandler } from "patkit/http";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { basic, startBitbucketServer } from "../adapters/bitbucket/server.js";
import { createSigner } from "../support/github-signer.js";
import { alice, aliceOwner, bob, createHarness, projectP, repoP1, root } from "../support/host.js";
import { harnessPerTest } from "../support/per-test.js";
import { useStoreTargets } from "../support/stores.js";
import { withBadChecksum, withOtherSecret } from "../support/token-strings.js";

// The sentences of DESIGN.md "Next capabilities: contract (v0.2)" that the feature suites do not
// pin down exactly, each checked through the public entry points as a user imports them.

const targets = useStoreTargets("contract_v02");
const SECOND = 1000;

const ofType = <T extends AccessTokenEvent["type"]>(events: readonly AccessTokenEvent[], type: T) =>
  events.filter((event): event is Extract<AccessTokenEvent, { type: T }> => event.type === type);

for (const target of targets) {
  describe(`v0.2 contract (${target.name})`, () => {
    const harness = harnessPerTest(target);

    const personal = (expiryDays: number | null = 30, name = "laptop") =>
      harness.tokens.create(
        { owner: aliceOwner, name, permissions: ["REPO_WRITE"], expiryDays },
        alice,
      );

    it("rotate: one event { type: token.rotated, at, actor, token, previous }, nothing else", async () => {
      const { tokens, clock, events } = harness;
      const old = await personal();
      clock.advance(DAY_MS);
      events.length = 0;
      const rotated = await tokens.rotate(old.token.id, { graceSeconds: 30 }, alice);
      expect(events).toEqual([
        {
          type: "token.rotated",
          at: clock.now(),
          actor: alice,
          token: rotated.token,
          previous: rotated.previous,
        },
      ]);
      expect(Object.keys(rotated).sort()).toEqual(["previous", "token"]);
      expect(typeof rotated.secret).toBe("string");
    });

    it("rotate: the new view has replaces = old id, createdBy = the actor; the old one replacedBy, revokedAt, revokedReason rotated", async () => {
      const { tokens, clock, host } = harness;
      host.grantProject("carol", "P", "ADMIN");
      const carol = { userId: "carol" };
      const created = await tokens.create(
        { owner: projectP, name: "ci", permissions: ["PROJECT_READ", "REPO_READ"], expiryDays: 10 },
        alice,
      );
      clock.advance(DAY_MS);
      const rotated = await tokens.rotate(created.token.id, { graceSeconds: 60 }, carol);
      const now = clock.now().getTime();
      expect(rotated.token).toMatchObject({
        owner: projectP,
        name: "ci",
        permissions: ["PROJECT_READ", "REPO_READ"],
        createdBy: "carol",
        replaces: created.token.id,
        replacedBy: null,
        revokedAt: null,
        revokedReason: null,
        lastAuthenticatedAt: null,
        lastUsedIps: [],
        status: "active",
      });
      expect(rotated.token.createdAt.getTime()).toBe(now);
      expect(rotated.token.expiresAt?.getTime()).toBe(now + 10 * DAY_MS);
      clock.advance(60 * SECOND);
      const previous = await tokens.get(created.token.id, alice);
      expect(previous).toMatchObject({
        replaces: null,
        replacedBy: rotated.token.id,
        revokedReason: "rotated",
        status: "revoked",
      });
      expect(previous.revokedAt?.getTime()).toBe(now + 60 * SECOND);
      // Repository admins rotate repository tokens.
      host.grantRepository("dave", "P", "R1", "ADMIN");
      const repo = await tokens.create(
        { owner: repoP1, name: "deploy", permissions: ["REPO_READ"] },
        { userId: "dave" },
      );
      const renewed = await tokens.rotate(repo.token.id, {}, { userId: "dave" });
      expect(renewed.token).toMatchObject({ owner: repoP1, replaces: repo.token.id });
      await expect(tokens.rotate(renewed.token.id, {}, bob)).rejects.toBeInstanceOf(ForbiddenError);
    });

    it("rotate: expiryDays null = no expiry; a number counts from now; omitted copies the lifetime", async () => {
      const { tokens, clock } = harness;
      const old = await personal(30);
      clock.advance(5 * DAY_MS);
      const none = await tokens.rotate(old.token.id, { expiryDays: null }, alice);
      expect(none.token.expiresAt).toBeNull();
      const next = await tokens.rotate(none.token.id, { expiryDays: 3 }, alice);
      expect(next.token.expiresAt?.getTime()).toBe(clock.now().getTime() + 3 * DAY_MS);
      const noLifetime = await personal(null, "forever");
      const copied = await tokens.rotate(noLifetime.token.id, {}, alice);
      expect(copied.token.expiresAt).toBeNull();
    });

    it("rotate: graceSeconds defaults to 0 (the old token is revoked at once), capped at the old expiry, never past 604800", async () => {
      const { tokens, clock } = harness;
      const old = await personal();
      const rotated = await tokens.rotate(old.token.id, {}, alice);
      expect(rotated.previous.status).toBe("revoked");
      expect(rotated.previous.revokedAt).toEqual(clock.now());
      expect(await tokens.verifyToken(old.secret)).toMatchObject({ ok: false, reason: "revoked" });
      const week = await personal(30, "week");
      const capped = await tokens.rotate(week.token.id, { graceSeconds: 604_800 }, alice);
      expect(capped.previous.revokedAt?.getTime()).toBe(clock.now().getTime() + 604_800 * SECOND);
      const error = await tokens
        .rotate(capped.token.id, { graceSeconds: 604_801 }, alice)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((await tokens.get(capped.token.id, alice)).replacedBy).toBeNull();
    });

    it("rotate: a policy violation changes nothing (no new token, no event)", async () => {
      const { tokens, events } = harness;
      const old = await personal(null);
      await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 30 }, root);
      events.length = 0;
      await expect(tokens.rotate(old.token.id, {}, alice)).rejects.toBeInstanceOf(
        PolicyViolationError,
      );
      await expect(tokens.rotate(old.token.id, { expiryDays: 31 }, alice)).rejects.toBeInstanceOf(
        PolicyViolationError,
      );
      expect(events).toEqual([]);
      const page = await tokens.list({ owner: aliceOwner }, alice);
      expect(page.items.map((token) => token.id)).toEqual([old.token.id]);
      expect((await tokens.verifyToken(old.secret)).ok).toBe(true);
    });

    it("rotate: an expired token can be rotated (renewal); a rotated one cannot, even during its grace", async () => {
      const { tokens, clock } = harness;
      const old = await personal(1);
      clock.advance(3 * DAY_MS);
      expect(await tokens.verifyToken(old.secret)).toMatchObject({ reason: "expired" });
      const renewed = await tokens.rotate(old.token.id, { graceSeconds: 600 }, alice);
      // Its own lifetime again, from now; the old one never works again.
      expect(renewed.token.expiresAt?.getTime()).toBe(clock.now().getTime() + DAY_MS);
      expect((await tokens.verifyToken(old.secret)).ok).toBe(false);
      expect(renewed.previous.replacedBy).toBe(renewed.token.id);
      const again = await tokens.rotate(old.token.id, {}, alice).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(ConflictError);
    });

    it("rotate: of two rotations of one token at the same moment, one wins and the other is a ConflictError", async () => {
      const { tokens } = harness;
      const old = await personal();
      const outcomes = await Promise.allSettled([
        tokens.rotate(old.token.id, { graceSeconds: 60 }, alice),
        tokens.rotate(old.token.id, { graceSeconds: 60 }, alice),
      ]);
      const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const lost = outcomes.filter((outcome) => outcome.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost.map((outcome) => outcome.reason)).toEqual([expect.any(ConflictError)]);
      const page = await tokens.list({ owner: aliceOwner }, alice);
      expect(page.items).toHaveLength(2);
    });

    it("revoking during the grace (by hand) ends it now: token.revoked { type, at, actor, token, reason }", async () => {
      const { tokens, clock, events } = harness;
      const old = await personal();
      await tokens.rotate(old.token.id, { graceSeconds: 3600 }, alice);
      clock.advance(10 * SECOND);
      events.length = 0;
      const revoked = await tokens.revoke(old.token.id, alice);
      expect(revoked.revokedAt).toEqual(clock.now());
      expect(events).toEqual([
        { type: "token.revoked", at: clock.now(), actor: alice, token: revoked, reason: "manual" },
      ]);
    });

    it("reuse: a rotated-out secret after its grace gives revoked and token.reused { type, at, actor: null, token }, revoking nothing else", async () => {
      const { tokens, clock, events } = harness;
      const old = await personal();
      const sibling = await personal(30, "other");
      const rotated = await tokens.rotate(old.token.id, { graceSeconds: 5 }, alice);
      // During the grace: no reuse.
      expect((await tokens.verifyToken(old.secret)).ok).toBe(true);
      expect(ofType(events, "token.reused")).toEqual([]);
      await tokens.flush(); // the last-authenticated write of that verify, off its response path
      clock.advance(5 * SECOND);
      const before = await tokens.get(old.token.id, alice);
      events.length = 0;
      const result = await tokens.authenticate(`Bearer ${old.secret}`);
      expect(result).toMatchObject({ ok: false, reason: "revoked" });
      expect(events).toEqual([
        { type: "token.reused", at: clock.now(), actor: null, token: before },
      ]);
      await tokens.verifyToken(old.secret);
      clock.advance(59 * SECOND);
      await tokens.verifyToken(old.secret);
      expect(ofType(events, "token.reused")).toHaveLength(1);
      expect(events).toHaveLength(1);
      expect(await tokens.get(old.token.id, alice)).toEqual(before);
      for (const other of [rotated, sibling]) {
        expect((await tokens.get(other.token.id, alice)).status).toBe("active");
        expect((await tokens.verifyToken(other.secret)).ok).toBe(true);
      }
    });

    it("status is computed at read time: revoked from the instant revokedAt <= now", async () => {
      const { tokens, clock } = harness;
      const old = await personal();
      await tokens.rotate(old.token.id, { graceSeconds: 2 }, alice);
      clock.advance(2 * SECOND - 1);
      const listed = async () =>
        (await tokens.list({ owner: aliceOwner }, alice)).items.find(
          (token) => token.id === old.token.id,
        )?.status;
      expect((await tokens.get(old.token.id, alice)).status).toBe("active");
      expect(await listed()).toBe("active");
      clock.advance(1);
      expect((await tokens.get(old.token.id, alice)).status).toBe("revoked");
      expect(await listed()).toBe("revoked");
    });

    it("inspect: any status, null for another secret, ForbiddenError for non-admins and tokens, whatever the string", async () => {
      const { tokens, clock } = harness;
      const old = await personal(1);
      const rotated = await tokens.rotate(old.token.id, {}, alice);
      expect(await tokens.inspect(old.secret, root)).toMatchObject({
        id: old.token.id,
        status: "revoked",
        revokedReason: "rotated",
        replacedBy: rotated.token.id,
      });
      clock.advance(2 * DAY_MS);
      expect(await tokens.inspect(rotated.secret, root)).toMatchObject({ status: "expired" });
      expect(await tokens.inspect(`x${rotated.secret}`, root)).toBeNull();
      const json = JSON.stringify(await tokens.inspect(rotated.secret, root));
      expect(json).not.toContain(rotated.secret.slice(-20));
      for (const actor of [alice, { userId: "root", via: "token" as const }]) {
        for (const secret of [rotated.secret, "junk"]) {
          await expect(tokens.inspect(secret, actor)).rejects.toBeInstanceOf(ForbiddenError);
        }
      }
      expect(
        await tokens.inspect(rotated.secret, { userId: "root", via: "session" }),
      ).not.toBeNull();
    });

    it("revokeLeaked: token.revoked { type, at, actor: null, token, reason: leaked, report: { source, url } }", async () => {
      const { tokens, clock, events } = harness;
      const project = await tokens.create(
        { owner: projectP, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      events.length = 0;
      const result = await tokens.revokeLeaked([project.secret], {
        source: "gist",
        url: "https://gist.example/1",
      });
      expect(result).toEqual({ matched: 1, revoked: 1 });
      const view = await tokens.get(project.token.id, alice);
      expect(view).toMatchObject({ status: "revoked", revokedReason: "leaked" });
      expect(events).toEqual([
        {
          type: "token.revoked",
          at: clock.now(),
          actor: null,
          token: view,
          reason: "leaked",
          report: { source: "gist", url: "https://gist.example/1" },
        },
      ]);
      const again = await personal();
      events.length = 0;
      await tokens.revokeLeaked([again.secret]);
      expect(events[0]).toMatchObject({ report: { source: null, url: null } });
      await expect(
        tokens.revokeLeaked(Array.from({ length: 1001 }, () => again.secret)),
      ).rejects.toBeInstanceOf(ValidationError);
    });

    it("maintenance: revokeUnusedAfterDays revokes live tokens only, with { type, at, actor: null, token, reason: unused }", async () => {
      const { tokens, clock, events } = harness;
      await tokens.setPolicy({ expiryRequired: false, revokeUnusedAfterDays: 5 }, root);
      const expiring = await personal(2, "expires");
      const revoked = await personal(null, "revoked");
      await tokens.revoke(revoked.token.id, alice);
      const idle = await personal(null, "idle");
      clock.advance(5 * DAY_MS);
      events.length = 0;
      expect((await tokens.runMaintenance()).revoked).toBe(1);
      const view = await tokens.get(idle.token.id, alice);
      expect(ofType(events, "token.revoked")).toEqual([
        { type: "token.revoked", at: clock.now(), actor: null, token: view, reason: "unused" },
      ]);
      expect(await tokens.get(expiring.token.id, alice)).toMatchObject({
        status: "expired",
        revokedAt: null,
        revokedReason: null,
      });
      expect((await tokens.get(revoked.token.id, alice)).revokedReason).toBe("manual");
    });

    it("maintenance: each notice is sent once in total, even with several instances at the same moment", async () => {
      const { clock } = harness;
      const other = createHarness({ store: harness.store, clock });
      const third = createHarness({ store: harness.store, clock });
      for (let i = 0; i < 5; i++) await personal(10, `t${i}`);
      clock.advance(4 * DAY_MS);
      const results = await Promise.all(
        [harness, other, third].map((instance) => instance.tokens.runMaintenance()),
      );
      expect(results.reduce((sum, result) => sum + result.notices, 0)).toBe(5);
      const sent = [harness, other, third].flatMap((instance) =>
        ofType(instance.events, "token.expiring"),
      );
      expect(sent.map((event) => event.daysLeft)).toEqual([7, 7, 7, 7, 7]);
      expect(new Set(sent.map((event) => event.token.id)).size).toBe(5);
      await other.tokens.close();
      await third.tokens.close();
    });

    it("maintenance: purgeAfterDays counts from the end of a rotated token's grace; nothing purged without it", async () => {
      const { tokens, clock } = harness;
      const old = await personal(null);
      await tokens.rotate(old.token.id, { graceSeconds: 3600 }, alice);
      expect((await tokens.runMaintenance()).purged).toBe(0);
      expect((await tokens.runMaintenance({ purgeAfterDays: 0 })).purged).toBe(0);
      clock.advance(3600 * SECOND);
      expect((await tokens.runMaintenance()).purged).toBe(0);
      expect((await tokens.runMaintenance({ purgeAfterDays: 1 })).purged).toBe(0);
      clock.advance(DAY_MS);
      expect((await tokens.runMaintenance({ purgeAfterDays: 1 })).purged).toBe(1);
      expect(await harness.store.findById(old.token.id)).toBeNull();
    });

    it("eraseUser: tokens alice rotated are pseudonymized too; her id appears nowhere in what patkit answers", async () => {
      const { tokens, host } = harness;
      host.grantProject("carol", "P", "ADMIN");
      const project = await tokens.create(
        { owner: projectP, name: "ci", permissions: ["REPO_READ"] },
        { userId: "carol" },
      );
      const rotated = await tokens.rotate(project.token.id, { graceSeconds: 60 }, alice);
      const own = await personal();
      await tokens.verifyToken(own.secret, null, { clientIp: "192.0.2.1" });
      await tokens.flush();
      const result = await tokens.eraseUser("alice", { pseudonym: "erased-7" }, root);
      expect(result).toEqual({ deleted: 1, pseudonymized: 1 });
      expect((await tokens.get(rotated.token.id, root)).createdBy).toBe("erased-7");
      const everything = await tokens.list({}, root);
      expect(JSON.stringify(everything)).not.toMatch(/alice/);
      expect(await tokens.exportUser("alice", alice)).toEqual({
        userId: "alice",
        personalTokens: [],
        createdTokens: [],
      });
    });
  });
}

describe("v0.2 contract: verify options, rate limits and notices (memory store)", () => {
  it("clientIp: recorded with the last-authenticated write only, failures record nothing", async () => {
    const { tokens, clock } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    await tokens.verifyToken(secret, null, { clientIp: "192.0.2.1" });
    // Within the interval: no second write, so the address waits for the next one.
    await tokens.verifyToken(secret, null, { clientIp: "192.0.2.2" });
    await tokens.flush();
    expect((await tokens.get(token.id, alice)).lastUsedIps).toEqual(["192.0.2.1"]);
    clock.advance(60 * SECOND);
    await tokens.verifyToken(withBadChecksum(secret), null, { clientIp: "192.0.2.3" });
    await tokens.revoke(token.id, alice);
    await tokens.verifyToken(secret, null, { clientIp: "192.0.2.4" });
    await tokens.flush();
    expect((await tokens.get(token.id, alice)).lastUsedIps).toEqual(["192.0.2.1"]);
    await tokens.close();
  });

  it("rateLimit: invalid tokens (expired, inactive owner, wrong scheme, wrong user) consume nothing", async () => {
    const harness = createHarness({ rateLimit: { capacity: 1, refillPerSecond: 1 } });
    const { tokens, clock, host } = harness;
    const expiring = await tokens.create(
      { owner: aliceOwner, name: "a", permissions: ["REPO_READ"], expiryDays: 1 },
      alice,
    );
    const project = await tokens.create(
      { owner: projectP, name: "p", permissions: ["REPO_READ"] },
      alice,
    );
    const bobs = await tokens.create(
      { owner: { kind: "user", userId: "bob" }, name: "b", permissions: ["REPO_READ"] },
      bob,
    );
    const basicOf = (user: string, secret: string) =>
      `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
    for (let i = 0; i < 3; i++) {
      expect(await tokens.authenticate(basicOf("x", project.secret))).toMatchObject({
        reason: "wrong_scheme",
      });
      expect((await tokens.authenticate(basicOf("alice", bobs.secret))).ok).toBe(false);
    }
    host.deactivate("bob");
    for (let i = 0; i < 3; i++) {
      expect(await tokens.verifyToken(bobs.secret)).toMatchObject({ reason: "inactive_owner" });
    }
    clock.advance(2 * DAY_MS);
    for (let i = 0; i < 3; i++) {
      expect(await tokens.verifyToken(expiring.secret)).toMatchObject({ reason: "expired" });
    }
    expect((await tokens.verifyToken(project.secret)).ok).toBe(true);
    expect(await tokens.verifyToken(project.secret)).toEqual({
      ok: false,
      reason: "rate_limited",
      tokenId: project.token.id,
      retryAfterMs: 1000,
    });
    await tokens.close();
  });

  it("expiryNotices: { days } and nothing else (a misspelled key is refused, not ignored)", () => {
    const access = { hasPermission: () => true, isSystemAdmin: () => false };
    const error = (() => {
      try {
        createAccessTokens({
          store: createMemoryStore(),
          access,
          expiryNotices: { days: [7], dayz: [1] } as never,
        });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields).toEqual(["expiryNotices.dayz"]);
  });

  it("expiryNotices: days [] sends neither token.expiring nor token.expired; several due thresholds send only the smallest", async () => {
    const clock = createManualClock("2026-03-01T00:00:00.000Z");
    const store = createMemoryStore();
    const events: AccessTokenEvent[] = [];
    const access = { hasPermission: () => true, isSystemAdmin: () => false };
    const off = createAccessTokens({ store, clock, access, expiryNotices: { days: [] } });
    const on = createAccessTokens({
      store,
      clock,
      access,
      expiryNotices: { days: [1, 3, 10] },
      onEvent: (event) => {
        events.push(event);
      },
    });
    const { token } = await on.create(
      { owner: aliceOwner, name: "t", permissions: ["REPO_READ"], expiryDays: 20 },
      alice,
    );
    for (const advance of [15, 5]) {
      clock.advance(advance * DAY_MS);
      expect(await off.runMaintenance()).toEqual({ notices: 0, revoked: 0, purged: 0 });
    }
    // Expired now (but less than 24 h ago), all thresholds fell due: only token.expired.
    expect((await on.runMaintenance()).notices).toBe(1);
    const notice = events.filter((event) => event.type.startsWith("token.exp"));
    expect(notice).toEqual([
      {
        type: "token.expired",
        at: clock.now(),
        actor: null,
        token: { ...token, status: "expired" } satisfies TokenView,
      },
    ]);
  });
});

describe("v0.2 contract: patkit/http secret scanning", () => {
  /** `body` posted to a secret-scanning handler over `tokens`, signed by a key it knows. */
  async function alert(tokens: AccessTokens, body: string): Promise<Response> {
    const signer = await createSigner("k1");
    const handler = createSecretScanningHandler({ tokens, publicKeys: () => [signer.publicKey] });
    const headers = {
      "Github-Public-Key-Identifier": "k1",
      "Github-Public-Key-Signature": await signer.sign(body),
    };
    return handler(new Request("https://host/", { method: "POST", body, headers }));
  }

  it("labels every reported string that is a stored token's secret true_positive, expired or in its grace too", async () => {
    const harness = createHarness();
    const { tokens, clock } = harness;
    const expired = await tokens.create(
      { owner: aliceOwner, name: "old", permissions: ["REPO_READ"], expiryDays: 1 },
      alice,
    );
    clock.advance(2 * DAY_MS);
    const graced = await tokens.create(
      { owner: aliceOwner, name: "graced", permissions: ["REPO_READ"] },
      alice,
    );
    await tokens.rotate(graced.token.id, { graceSeconds: 600 }, alice);
    const body = JSON.stringify(
      [expired.secret, graced.secret].map((token) => ({
        token,
        type: "patkit",
        url: "https://x",
        source: "content",
      })),
    );
    const response = await alert(tokens, body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { token_raw: expired.secret, token_type: "patkit", label: "true_positive" },
      { token_raw: graced.secret, token_type: "patkit", label: "true_positive" },
    ]);
    expect(await tokens.verifyToken(graced.secret)).toMatchObject({ reason: "revoked" });
    expect((await tokens.get(graced.token.id, alice)).revokedReason).toBe("leaked");
    expect((await tokens.get(expired.token.id, alice)).revokedReason).toBeNull();
    // A token's id with another secret is nobody's token.
    const forged = withOtherSecret(graced.secret, "A".repeat(43));
    const probe = await alert(
      tokens,
      JSON.stringify([{ token: forged, type: "patkit", url: "u", source: "s" }]),
    );
    expect(await probe.json()).toEqual([
      { token_raw: forged, token_type: "patkit", label: "false_positive" },
    ]);
  });

  it("revokes and answers 200 whatever the report's url and source hold (too long, NUL)", async () => {
    const { tokens } = createHarness();
    const leaked = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const other = await tokens.create(
      { owner: aliceOwner, name: "cd", permissions: ["REPO_READ"] },
      alice,
    );
    const body = JSON.stringify([
      { token: leaked.secret, type: "patkit", url: `https://x/${"a".repeat(5000)}`, source: "c" },
      { token: other.secret, type: "patkit", url: "https://y", source: "com\u0000mit" },
    ]);
    const response = await alert(tokens, body);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { label: string }[]).map((item) => item.label)).toEqual([
      "true_positive",
      "true_positive",
    ]);
    for (const token of [leaked, other]) {
      expect((await tokens.get(token.token.id, alice)).revokedReason).toBe("leaked");
    }
  });
});

describe("v0.2 contract: patkit/bitbucket", () => {
  it("answers under a custom basePath (1.0 and latest), and leaves the default path to the host", async () => {
    const api = await startBitbucketServer(createMemoryStore());
    try {
      const handle = createBitbucketApi({
        tokens: api.harness.tokens,
        authenticate: () => ({ userId: "alice", via: "session" }),
        resolveUser: (slug) => (slug === "alice" ? "alice" : null),
        resolveProject: () => null,
        resolveRepository: () => null,
        basePath: "/api/tokens",
      });
      const put = await handle(
        new Request("http://h/api/tokens/1.0/users/alice", {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "n", permissions: ["REPO_READ"] }),
        }),
      );
      expect(put?.status).toBe(200);
      const page = await handle(new Request("http://h/api/tokens/latest/users/alice"));
      expect(await page?.json()).toMatchObject({ size: 1, isLastPage: true, start: 0, limit: 25 });
      expect(
        await handle(new Request("http://h/rest/access-tokens/latest/users/alice")),
      ).toBeNull();
    } finally {
      await api.close();
    }
  });

  it("401 for a change through a token on project and repository paths too; nothing changes", async () => {
    const api = await startBitbucketServer(createMemoryStore());
    try {
      const created = await api.harness.tokens.create(
        { owner: aliceOwner, name: "admin", permissions: ["PROJECT_ADMIN", "REPO_ADMIN"] },
        alice,
      );
      const project = await api.harness.tokens.create(
        { owner: projectP, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      const headers = {
        authorization: `Bearer ${created.secret}`,
        "content-type": "application/json",
      };
      const body = JSON.stringify({ name: "x", permissions: ["REPO_READ"] });
      const calls: [string, RequestInit][] = [
        ["/rest/access-tokens/latest/projects/PRJ", { method: "PUT", headers, body }],
        ["/rest/access-tokens/latest/projects/PRJ/repos/alpha", { method: "PUT", headers, body }],
        [
          `/rest/access-tokens/latest/projects/PRJ/${project.token.id}`,
          { method: "DELETE", headers },
        ],
        [
          `/rest/access-tokens/latest/projects/PRJ/${project.token.id}`,
          { method: "POST", headers, body: '{"name":"y"}' },
        ],
      ];
      for (const [path, init] of calls) {
        const answer = await api.fetch(path, init);
        expect(answer.status, `${init.method} ${path}`).toBe(401);
      }
      const page = await api.harness.tokens.list({ owner: projectP }, alice);
      expect(page.items.map((token) => [token.name, token.status])).toEqual([["ci", "active"]]);
      expect(
        (
          await api.fetch("/rest/access-tokens/latest/projects/PRJ", {
            headers: { authorization: basic("alice") },
          })
        ).status,
      ).toBe(200);
    } finally {
      await api.close();
    }
  });

  it("POST leaves out what is not given; expiryDate and lastAuthenticated stay out while unset", async () => {
    const api = await startBitbucketServer(createMemoryStore());
    try {
      const headers = { authorization: basic("alice"), "content-type": "application/json" };
      const created = await api.fetch("/rest/access-tokens/latest/projects/PRJ", {
        method: "PUT",
        headers,
        body: JSON.stringify({ name: "ci", permissions: ["PROJECT_WRITE", "REPO_WRITE"] }),
      });
      const json = (await created.json()) as { id: string; token: string };
      expect(Object.keys(json).sort()).toEqual([
        "createdDate",
        "id",
        "name",
        "permissions",
        "token",
      ]);
      const path = `/rest/access-tokens/latest/projects/PRJ/${json.id}`;
      const renamed = await api.fetch(path, { method: "POST", headers, body: '{"name":"cd"}' });
      expect(renamed.status).toBe(200);
      expect(await renamed.json()).toEqual({
        id: json.id,
        name: "cd",
        createdDate: api.harness.clock.now().getTime(),
        permissions: ["PROJECT_WRITE", "REPO_WRITE"],
      });
      // Setting an expiry on a token without one is allowed once; then it is fixed.
      const set = await api.fetch(path, { method: "POST", headers, body: '{"expiryDays":5}' });
      expect(set.status).toBe(200);
      expect(((await set.json()) as { expiryDate: number }).expiryDate).toBe(
        api.harness.clock.now().getTime() + 5 * DAY_MS,
      );
      const change = await api.fetch(path, { method: "POST", headers, body: '{"expiryDays":4}' });
      expect(change.status).toBe(400);
    } finally {
      await api.close();
    }
  });
});
