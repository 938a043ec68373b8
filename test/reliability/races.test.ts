import fc from "fast-check";
import {
  ConflictError,
  createManualClock,
  isCompliant,
  LimitExceededError,
  type ManualClock,
  type Policy,
  PolicyViolationError,
  type TokenStore,
  type VerifyResult,
} from "patkit";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { fuzzRuns, fuzzTimeout } from "../support/fuzz.js";
import { alice, aliceOwner, createHarness, type Harness, root } from "../support/host.js";
import { scheduledStore } from "../support/scheduled-store.js";
import { type StoreTarget, useStoreTargets } from "../support/stores.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const readToken = { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] } as const;
const CACHE = { ttlMs: 60_000, maxEntries: 100 } as const;

/** Two service instances over one store: A without a cache, B with one (as a second server). */
function twoInstances(store: TokenStore, clock: ManualClock): { A: Harness; B: Harness } {
  return {
    A: createHarness({ store, clock }),
    B: createHarness({ store, clock, cache: CACHE }),
  };
}

async function liveCount(store: TokenStore, now: Date): Promise<number> {
  const records = await store.list({ owner: aliceOwner, limit: 1000 });
  return records.filter(
    (record) =>
      record.revokedAt === null &&
      (record.expiresAt === null || record.expiresAt.getTime() > now.getTime()),
  ).length;
}

function expectRevokedOrOk(result: VerifyResult): void {
  if (!result.ok) expect(result.reason).toBe("revoked");
}

const NEW_POLICY = { expiryRequired: true, maxExpiryDays: 30 } as const;
const expiries = fc.constantFrom<number | null>(null, 10, 30, 31, 100);

function expectCreateUnderNewPolicy(
  expiryDays: number | null,
  outcome: PromiseSettledResult<{ token: { createdAt: Date; expiresAt: Date | null } }>,
  policy: Policy,
): void {
  const allowed = expiryDays !== null && expiryDays <= NEW_POLICY.maxExpiryDays;
  if (!allowed) {
    expect(outcome.status).toBe("rejected");
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PolicyViolationError);
    return;
  }
  expect(outcome.status).toBe("fulfilled");
  if (outcome.status === "fulfilled") expect(isCompliant(outcome.value.token, policy)).toBe(true);
}

describe("interleavings explored by fast-check's scheduler (memory store, two instances)", () => {
  it(
    "revoke racing verifies: once revoke has resolved, no verify started afterwards succeeds",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(fc.constantFrom("A", "B"), { minLength: 1, maxLength: 4 }),
          fc.array(fc.constantFrom("A", "B"), { minLength: 1, maxLength: 4 }),
          fc.constantFrom("A", "B"),
          async (s, early, late, revoker) => {
            const memory = createMemoryStore();
            const clock = createManualClock();
            const { tokens } = createHarness({ store: memory, clock });
            const { secret, token } = await tokens.create(readToken, alice);
            const instances = twoInstances(scheduledStore(memory, s), clock);
            // B's cache holds the live record before the race.
            expect(await s.waitFor(instances.B.tokens.verifyToken(secret))).toMatchObject({
              ok: true,
            });

            const before = early.map((name) => instances[name].tokens.verifyToken(secret));
            const revoking = instances[revoker].tokens.revoke(token.id, alice);
            const after = revoking.then(() =>
              Promise.all(late.map((name) => instances[name].tokens.verifyToken(secret))),
            );
            const [earlyResults, , lateResults] = await s.waitFor(
              Promise.all([Promise.all(before), revoking, after]),
            );
            for (const result of lateResults)
              expect(result).toMatchObject({ ok: false, reason: "revoked" });
            earlyResults.forEach(expectRevokedOrOk);
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
    },
    fuzzTimeout(),
  );

  it(
    "two concurrent updates of one token: a loser gets ConflictError, no success is lost",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.constantFrom("A", "B"),
          fc.constantFrom("A", "B"),
          fc.nat(3),
          async (s, first, second, verifies) => {
            const memory = createMemoryStore();
            const clock = createManualClock();
            const { tokens } = createHarness({ store: memory, clock });
            const { secret, token } = await tokens.create(readToken, alice);
            const instances = twoInstances(scheduledStore(memory, s), clock);

            const renaming = instances[first].tokens.update(token.id, { name: "renamed" }, alice);
            const widening = instances[second].tokens.update(
              token.id,
              { permissions: ["REPO_WRITE"] },
              alice,
            );
            // Verifies (and their last-authenticated writes) run alongside and must not conflict.
            const verifying = Array.from({ length: verifies }, (_, i) =>
              instances[i % 2 ? "A" : "B"].tokens.verifyToken(secret),
            );
            const [renamed, widened] = await s.waitFor(
              Promise.allSettled([renaming, widening, ...verifying]),
            );
            const outcomes = [renamed, widened] as PromiseSettledResult<unknown>[];
            const won = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
            expect(won).toBeGreaterThanOrEqual(1);
            for (const outcome of outcomes)
              if (outcome.status === "rejected")
                expect(outcome.reason).toBeInstanceOf(ConflictError);

            const record = memory.findById(token.id);
            expect(record?.name).toBe(renamed?.status === "fulfilled" ? "renamed" : "t");
            expect(record?.permissions).toEqual(
              widened?.status === "fulfilled" ? ["REPO_WRITE"] : ["REPO_READ"],
            );
            expect(record?.version).toBe(1 + won);
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
    },
    fuzzTimeout(),
  );

  it(
    "concurrent creates at the per-owner limit never exceed it, revokes racing or not",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 0, max: 3 }),
          fc.array(fc.constantFrom("A", "B"), { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          async (s, limit, existing, creators, revokeOne) => {
            const memory = createMemoryStore();
            const clock = createManualClock();
            const { tokens } = createHarness({ store: memory, clock });
            // Dead tokens do not count: one expired, one revoked.
            await tokens.create({ ...readToken, expiryDays: 1 }, alice);
            clock.advance(DAY_MS);
            const dead = await tokens.create(readToken, alice);
            await tokens.revoke(dead.token.id, alice);
            await tokens.setPolicy({ expiryRequired: false, maxTokensPerOwner: limit }, root);
            const held: string[] = [];
            for (let i = 0; i < Math.min(existing, limit); i++)
              held.push((await tokens.create(readToken, alice)).token.id);

            const instances = twoInstances(scheduledStore(memory, s), clock);
            const creating = creators.map((name) =>
              instances[name].tokens.create(readToken, alice),
            );
            const revoking =
              revokeOne && held[0] ? [instances.A.tokens.revoke(held[0], alice)] : [];
            const outcomes = await s.waitFor(Promise.allSettled([...creating, ...revoking]));
            const created = outcomes
              .slice(0, creating.length)
              .filter((outcome) => outcome.status === "fulfilled").length;
            for (const outcome of outcomes)
              if (outcome.status === "rejected")
                expect(outcome.reason).toBeInstanceOf(LimitExceededError);

            const live = await liveCount(memory, clock.now());
            expect(live).toBeLessThanOrEqual(limit);
            expect(created).toBeGreaterThanOrEqual(Math.min(creators.length, limit - held.length));
            if (!revokeOne) expect(live).toBe(Math.min(limit, held.length + creators.length));
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
    },
    fuzzTimeout(),
  );

  it(
    "policy change racing creates: every create started after setPolicy resolved obeys it",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(expiries, { maxLength: 3 }),
          fc.array(expiries, { minLength: 1, maxLength: 3 }),
          async (s, early, late) => {
            const memory = createMemoryStore();
            const clock = createManualClock();
            const { A, B } = twoInstances(scheduledStore(memory, s), clock);
            const create = (expiryDays: number | null) =>
              B.tokens.create({ ...readToken, expiryDays }, alice);
            const before = early.map((days) => create(days).then(undefined, () => null));
            const setting = A.tokens.setPolicy(NEW_POLICY, root);
            const after = setting.then((policy) =>
              Promise.allSettled(late.map(create)).then((outcomes) => ({ policy, outcomes })),
            );
            const [, { policy, outcomes }] = await s.waitFor(
              Promise.all([Promise.all(before), after]),
            );
            outcomes.forEach((outcome, i) => {
              expectCreateUnderNewPolicy(late[i] ?? null, outcome, policy);
            });
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
    },
    fuzzTimeout(),
  );
});

const targets = useStoreTargets("races");
const ROUNDS = 5;

async function withStore(target: StoreTarget, run: (store: TokenStore) => Promise<void>) {
  const opened = await target.open();
  try {
    await run(opened.store);
  } finally {
    await opened.close();
  }
}

for (const target of targets) {
  describe(`real concurrency on the ${target.name}`, () => {
    it("revoke while verifies run: no verify started after revoke resolved succeeds", async () => {
      await withStore(target, async (store) => {
        const clock = createManualClock();
        const { A } = twoInstances(store, clock);
        for (let round = 0; round < ROUNDS; round++) {
          const { secret, token } = await A.tokens.create(readToken, alice);
          const early = Array.from({ length: 12 }, () => A.tokens.verifyToken(secret));
          await A.tokens.revoke(token.id, alice);
          const late = await Promise.all(
            Array.from({ length: 12 }, () => A.tokens.verifyToken(secret)),
          );
          for (const result of late) expect(result).toMatchObject({ ok: false, reason: "revoked" });
          (await Promise.all(early)).forEach(expectRevokedOrOk);
        }
        await A.tokens.flush();
      });
    });

    it("two concurrent updates: one wins, the other gets ConflictError, nothing is lost", async () => {
      await withStore(target, async (store) => {
        const clock = createManualClock();
        const { A, B } = twoInstances(store, clock);
        for (let round = 0; round < ROUNDS; round++) {
          const { token } = await A.tokens.create(readToken, alice);
          const [renamed, widened] = await Promise.allSettled([
            A.tokens.update(token.id, { name: `renamed ${round}` }, alice),
            B.tokens.update(token.id, { permissions: ["REPO_WRITE"] }, alice),
          ]);
          const outcomes = [renamed, widened] as PromiseSettledResult<unknown>[];
          const won = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
          expect(won).toBeGreaterThanOrEqual(1);
          for (const outcome of outcomes)
            if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(ConflictError);
          const record = await store.findById(token.id);
          expect(record?.name).toBe(renamed?.status === "fulfilled" ? `renamed ${round}` : "t");
          expect(record?.permissions).toEqual(
            widened?.status === "fulfilled" ? ["REPO_WRITE"] : ["REPO_READ"],
          );
          expect(record?.version).toBe(1 + won);
        }
      });
    });

    it("concurrent creates at the per-owner limit never exceed it", async () => {
      await withStore(target, async (store) => {
        const clock = createManualClock();
        const { A, B } = twoInstances(store, clock);
        await A.tokens.setPolicy({ expiryRequired: false, maxTokensPerOwner: 3 }, root);
        for (let round = 0; round < ROUNDS; round++) {
          const outcomes = await Promise.allSettled(
            Array.from({ length: 8 }, (_, i) => (i % 2 ? A : B).tokens.create(readToken, alice)),
          );
          const created = outcomes.filter((outcome) => outcome.status === "fulfilled");
          expect(created).toHaveLength(round === 0 ? 3 : 0);
          for (const outcome of outcomes)
            if (outcome.status === "rejected")
              expect(outcome.reason).toBeInstanceOf(LimitExceededError);
          expect(await liveCount(store, clock.now())).toBe(3);
          // Free one slot, then race for it.
          if (round === 0) {
            const page = await A.tokens.list({ owner: aliceOwner }, alice);
            await A.tokens.revoke(page.items[0]?.id as string, alice);
            const racing = await Promise.allSettled(
              Array.from({ length: 6 }, (_, i) => (i % 2 ? A : B).tokens.create(readToken, alice)),
            );
            expect(racing.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
            expect(await liveCount(store, clock.now())).toBe(3);
          }
        }
      });
    });

    it("policy changes racing creates: creates started after setPolicy resolved obey it", async () => {
      await withStore(target, async (store) => {
        const clock = createManualClock();
        const { A, B } = twoInstances(store, clock);
        const days = [null, 10, 30, 31, 100];
        for (let round = 0; round < ROUNDS; round++) {
          await A.tokens.setPolicy({ expiryRequired: false }, root);
          const racing = days.map((expiryDays) =>
            B.tokens.create({ ...readToken, expiryDays }, alice).then(undefined, () => null),
          );
          const policy = await A.tokens.setPolicy(NEW_POLICY, root);
          const after = await Promise.allSettled(
            days.map((expiryDays) => B.tokens.create({ ...readToken, expiryDays }, alice)),
          );
          after.forEach((outcome, i) => {
            expectCreateUnderNewPolicy(days[i] ?? null, outcome, policy);
          });
          await Promise.all(racing);
        }
      });
    });
  });
}

/** Polls until `check` holds, for a bounded number of tries (a change notification in flight). */
async function eventually(check: () => Promise<boolean>, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

for (const target of targets) {
  describe(`verification cache across instances on the ${target.name}`, () => {
    it("the revoking instance refuses at once; another hears of it through the change feed", async () => {
      const opened = await target.open({ watch: true });
      try {
        const clock = createManualClock();
        const A = createHarness({ store: opened.store, clock, cache: CACHE });
        const B = createHarness({ store: opened.store, clock, cache: CACHE });
        const { secret, token } = await A.tokens.create(readToken, alice);
        expect(await A.tokens.verifyToken(secret)).toMatchObject({ ok: true });
        expect(await B.tokens.verifyToken(secret)).toMatchObject({ ok: true });
        await A.tokens.revoke(token.id, alice);
        expect(await A.tokens.verifyToken(secret)).toMatchObject({ reason: "revoked" });
        // The clock stands still: only the notification can end B's cached answer.
        const heard = await eventually(async () => !(await B.tokens.verifyToken(secret)).ok);
        expect(heard).toBe(true);
        expect(await B.tokens.verifyToken(secret)).toMatchObject({ reason: "revoked" });
        await A.tokens.close();
        await B.tokens.close();
      } finally {
        await opened.close();
      }
    });

    it("without a change feed, another instance's cached answer ends within ttlMs", async () => {
      const opened = await target.open({ watch: false });
      try {
        const clock = createManualClock();
        const A = createHarness({ store: opened.store, clock });
        const B = createHarness({
          store: opened.store,
          clock,
          cache: { ttlMs: 5000, maxEntries: 10 },
        });
        const { secret, token } = await A.tokens.create(readToken, alice);
        expect(await B.tokens.verifyToken(secret)).toMatchObject({ ok: true });
        await A.tokens.revoke(token.id, alice);
        clock.advance(5000);
        expect(await B.tokens.verifyToken(secret)).toMatchObject({ reason: "revoked" });
        await B.tokens.close();
      } finally {
        await opened.close();
      }
    });
  });
}
