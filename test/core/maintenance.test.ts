import {
  type AccessTokenEvent,
  type AccessTokens,
  DAY_MS,
  type TokenStore,
  type TokenView,
  ValidationError,
} from "patkit";
import { createMemoryStore } from "patkit/memory";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, type Harness, projectP, root } from "../support/host.js";
import { type OpenedStore, useStoreTargets } from "../support/stores.js";

const targets = useStoreTargets("maintenance");

const HOUR_MS = 60 * 60 * 1000;

type Notice =
  | { type: "token.expiring"; id: string; daysLeft: number }
  | { type: "token.expired"; id: string };

function notices(events: readonly AccessTokenEvent[]): Notice[] {
  return events.flatMap((event): Notice[] =>
    event.type === "token.expiring"
      ? [{ type: event.type, id: event.token.id, daysLeft: event.daysLeft }]
      : event.type === "token.expired"
        ? [{ type: event.type, id: event.token.id }]
        : [],
  );
}

for (const target of targets) {
  describe(`runMaintenance (${target.name})`, () => {
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

    async function personal(tokens: AccessTokens, expiryDays: number | null): Promise<TokenView> {
      const { token } = await tokens.create(
        {
          owner: aliceOwner,
          name: `expires in ${expiryDays}`,
          permissions: ["REPO_READ"],
          expiryDays,
        },
        alice,
      );
      return token;
    }

    it("sends token.expiring at 30, 7 and 1 days, then token.expired, each once", async () => {
      const { tokens, clock, events } = harness;
      const token = await personal(tokens, 40);
      const run = async () => (await tokens.runMaintenance()).notices;
      expect(await run()).toBe(0);
      clock.advance(10 * DAY_MS - 1);
      expect(await run()).toBe(0);
      clock.advance(1);
      events.length = 0;
      expect(await run()).toBe(1);
      expect(events).toEqual([
        {
          type: "token.expiring",
          at: clock.now(),
          actor: null,
          token: { ...token, status: "active" },
          daysLeft: 30,
        },
      ]);
      expect(await run()).toBe(0);
      clock.advance(23 * DAY_MS);
      expect(await run()).toBe(1);
      clock.advance(6 * DAY_MS);
      expect(await run()).toBe(1);
      expect(await run()).toBe(0);
      clock.advance(DAY_MS);
      expect(await run()).toBe(1);
      const expired = events.at(-1);
      expect(expired).toEqual({
        type: "token.expired",
        at: clock.now(),
        actor: null,
        token: { ...token, status: "expired" },
      });
      clock.advance(30 * DAY_MS);
      expect(await run()).toBe(0);
      expect(notices(events)).toEqual([
        { type: "token.expiring", id: token.id, daysLeft: 30 },
        { type: "token.expiring", id: token.id, daysLeft: 7 },
        { type: "token.expiring", id: token.id, daysLeft: 1 },
        { type: "token.expired", id: token.id },
      ]);
    });

    it("catches up with only the smallest threshold that fell due since the last run", async () => {
      const { tokens, clock, events } = harness;
      const crossedTwo = await personal(tokens, 40);
      const crossedAll = await personal(tokens, 33);
      clock.advance(34 * DAY_MS);
      expect(await tokens.runMaintenance()).toEqual({ notices: 2, revoked: 0, purged: 0 });
      expect(notices(events)).toEqual(
        expect.arrayContaining([
          { type: "token.expiring", id: crossedTwo.id, daysLeft: 7 },
          { type: "token.expired", id: crossedAll.id },
        ]),
      );
      events.length = 0;
      clock.advance(5 * DAY_MS);
      await tokens.runMaintenance();
      expect(notices(events)).toEqual([{ type: "token.expiring", id: crossedTwo.id, daysLeft: 1 }]);
    });

    it("sends token.expired up to 24 hours late, and marks tokens that expired before silently", async () => {
      const off = createHarness({
        store: opened.store,
        clock: harness.clock,
        expiryNotices: { days: [] },
      });
      const { clock, events } = harness;
      const longAgo = await personal(off.tokens, 1);
      clock.advance(3 * DAY_MS);
      const recently = await personal(off.tokens, 1);
      clock.advance(DAY_MS);
      expect(await off.tokens.runMaintenance()).toEqual({ notices: 0, revoked: 0, purged: 0 });
      expect(off.events.filter((event) => event.type.startsWith("token.exp"))).toEqual([]);
      // Notices switched on: the token that expired just now is announced, the old one is not.
      expect((await harness.tokens.runMaintenance()).notices).toBe(1);
      expect(notices(events)).toEqual([{ type: "token.expired", id: recently.id }]);
      expect(await harness.tokens.runMaintenance()).toEqual({ notices: 0, revoked: 0, purged: 0 });
      expect(notices(events).map((notice) => notice.id)).not.toContain(longAgo.id);
      clock.advance(HOUR_MS);
      await off.tokens.close();
    });

    it("announces a token expired exactly 24 hours ago, not one a millisecond older", async () => {
      const { tokens, clock, events } = harness;
      const first = await personal(tokens, 1);
      clock.advance(1);
      const second = await personal(tokens, 1);
      clock.advance(2 * DAY_MS);
      await tokens.runMaintenance();
      expect(notices(events)).toEqual([{ type: "token.expired", id: second.id }]);
      expect(first.id).not.toBe(second.id);
    });

    it("sends nothing for revoked tokens or tokens without an expiry", async () => {
      const { tokens, clock, events } = harness;
      const revoked = await personal(tokens, 10);
      await personal(tokens, null);
      await tokens.revoke(revoked.id, alice);
      clock.advance(20 * DAY_MS);
      expect((await tokens.runMaintenance()).notices).toBe(0);
      expect(notices(events)).toEqual([]);
    });

    it("never touches the expiry or the version of a token", async () => {
      const { tokens, clock } = harness;
      const token = await personal(tokens, 10);
      const before = await opened.store.findById(token.id);
      clock.advance(9 * DAY_MS);
      await tokens.runMaintenance();
      clock.advance(2 * DAY_MS);
      await tokens.runMaintenance();
      const after = await opened.store.findById(token.id);
      expect(after?.expiresAt).toEqual(before?.expiresAt);
      expect(after?.version).toBe(before?.version);
      expect((await tokens.get(token.id, alice)).expiresAt).toEqual(token.expiresAt);
    });

    it.each([
      [
        "throws",
        () => {
          throw new Error("mail server down");
        },
      ],
      [
        "rejects",
        async () => {
          throw new Error("mail server down");
        },
      ],
    ])("hands a notice back when onEvent %s, and sends it on a later run", async (_, failing) => {
      let fail = true;
      const sent: AccessTokenEvent[] = [];
      const flaky = createHarness({
        store: opened.store,
        clock: harness.clock,
        onEvent: (event) => {
          if (fail && event.type === "token.expiring") return failing();
          sent.push(event);
        },
      });
      const token = await personal(flaky.tokens, 5);
      expect(await flaky.tokens.runMaintenance()).toEqual({ notices: 0, revoked: 0, purged: 0 });
      expect(flaky.errors.map((error) => error.context)).toEqual([{ source: "onEvent" }]);
      fail = false;
      expect((await flaky.tokens.runMaintenance()).notices).toBe(1);
      expect(notices(sent)).toEqual([{ type: "token.expiring", id: token.id, daysLeft: 7 }]);
      expect((await flaky.tokens.runMaintenance()).notices).toBe(0);
      await flaky.tokens.close();
    });

    it("uses the configured thresholds, and [] turns every notice off", async () => {
      const custom = createHarness({ store: opened.store, expiryNotices: { days: [2, 14, 2] } });
      const token = await personal(custom.tokens, 20);
      custom.clock.advance(6 * DAY_MS);
      await custom.tokens.runMaintenance();
      custom.clock.advance(12 * DAY_MS);
      await custom.tokens.runMaintenance();
      expect(notices(custom.events)).toEqual([
        { type: "token.expiring", id: token.id, daysLeft: 14 },
        { type: "token.expiring", id: token.id, daysLeft: 2 },
      ]);
      await custom.tokens.close();
    });

    it("revokes tokens unused for the policy's revokeUnusedAfterDays, with events by nobody", async () => {
      const { tokens, clock, events } = harness;
      await tokens.setPolicy({ expiryRequired: false, revokeUnusedAfterDays: 30 }, root);
      const idle = await personal(tokens, null);
      const { token: used, secret } = await tokens.create(
        { owner: projectP, name: "ci", permissions: ["REPO_READ"] },
        alice,
      );
      clock.advance(20 * DAY_MS);
      expect((await tokens.verifyToken(secret)).ok).toBe(true);
      await tokens.flush();
      clock.advance(10 * DAY_MS - 1);
      expect((await tokens.runMaintenance()).revoked).toBe(0);
      clock.advance(1);
      events.length = 0;
      expect(await tokens.runMaintenance()).toEqual({ notices: 0, revoked: 1, purged: 0 });
      const revoked = events.filter((event) => event.type === "token.revoked");
      expect(revoked).toEqual([
        expect.objectContaining({ type: "token.revoked", at: clock.now(), actor: null }),
      ]);
      expect(revoked[0]?.token?.id).toBe(idle.id);
      expect((await tokens.get(idle.id, alice)).status).toBe("revoked");
      expect((await tokens.get(used.id, alice)).status).toBe("active");
      clock.advance(20 * DAY_MS);
      expect((await tokens.runMaintenance()).revoked).toBe(1);
      expect((await tokens.get(used.id, alice)).status).toBe("revoked");
    });

    it("deletes tokens revoked or expired at least purgeAfterDays ago", async () => {
      const { tokens, clock } = harness;
      const revoked = await personal(tokens, null);
      const expiring = await personal(tokens, 1);
      const live = await personal(tokens, null);
      await tokens.revoke(revoked.id, alice);
      clock.advance(DAY_MS + 30 * DAY_MS - 1);
      expect((await tokens.runMaintenance({ purgeAfterDays: 30 })).purged).toBe(1);
      clock.advance(1);
      expect((await tokens.runMaintenance({ purgeAfterDays: 30 })).purged).toBe(1);
      expect(await opened.store.findById(revoked.id)).toBeNull();
      expect(await opened.store.findById(expiring.id)).toBeNull();
      expect(await opened.store.findById(live.id)).not.toBeNull();
    });

    it("works in bounded batches until everything due is done", async () => {
      const small = createHarness({ store: opened.store, clock: harness.clock });
      const created = await Promise.all(Array.from({ length: 7 }, () => personal(small.tokens, 3)));
      const batched = createHarness({ store: opened.store, clock: harness.clock });
      // A batch of 500 is the default; a run over seven tokens needs one call of each kind.
      batched.counting.reset();
      expect((await batched.tokens.runMaintenance()).notices).toBe(7);
      expect(batched.counting.count("findDueNotices")).toBe(1);
      expect(batched.counting.count("claimNotices")).toBe(1);
      expect(
        notices(batched.events)
          .map((notice) => notice.id)
          .sort(),
      ).toEqual(created.map((token) => token.id).sort());
      await small.tokens.close();
      await batched.tokens.close();
    });
  });
}

describe("maintenance input", () => {
  it("validates purgeAfterDays", async () => {
    const { tokens } = createHarness();
    for (const purgeAfterDays of [-1, 1.5, Number.NaN, "7"]) {
      await expect(tokens.runMaintenance({ purgeAfterDays } as never)).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
    await expect(tokens.runMaintenance({ other: 1 } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await tokens.runMaintenance({ purgeAfterDays: 0 })).toEqual({
      notices: 0,
      revoked: 0,
      purged: 0,
    });
  });

  it("validates expiryNotices.days when the service is created", () => {
    for (const days of [[0], [1.5], [-7], ["30"], null]) {
      let error: unknown;
      try {
        createHarness({ expiryNotices: { days } as never });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields[0]).toMatch(/^expiryNotices\.days/);
    }
  });

  it("validates and keeps revokeUnusedAfterDays in the policy", async () => {
    const { tokens } = createHarness();
    for (const revokeUnusedAfterDays of [0, -1, 2.5, "90"]) {
      const error = await tokens
        .setPolicy({ expiryRequired: false, revokeUnusedAfterDays } as never, root)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields).toEqual(["revokeUnusedAfterDays"]);
    }
    expect(await tokens.getPolicy()).toStrictEqual({ expiryRequired: false, maxExpiryDays: null });
    const policy = { expiryRequired: false, maxExpiryDays: null, revokeUnusedAfterDays: 365 };
    expect(await tokens.setPolicy(policy, root)).toStrictEqual(policy);
    expect(await tokens.getPolicy()).toStrictEqual(policy);
    await tokens.setPolicy({ expiryRequired: false, revokeUnusedAfterDays: null }, root);
    expect((await tokens.getPolicy()).revokeUnusedAfterDays ?? null).toBeNull();
  });

  it("names the store methods it needs when a store lacks them", async () => {
    const memory = createMemoryStore();
    const { findDueNotices, claimNotices, ...v01 } = memory;
    void findDueNotices;
    void claimNotices;
    const { tokens } = createHarness({
      store: { ...v01, findById: memory.findById } as unknown as TokenStore,
    });
    const error = await tokens.runMaintenance().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields).toEqual([
      "store.findDueNotices",
      "store.claimNotices",
    ]);
  });
});
