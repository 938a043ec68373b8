import {
  type AccessTokens,
  createManualClock,
  StoreUnavailableError,
  type TokenStore,
} from "patkit";
import { describe, expect, it } from "vitest";
import type { StoreMethod } from "../support/counting-store.js";
import { type FaultyStore, faultyStore, InjectedFault } from "../support/faulty-store.js";
import { alice, aliceOwner, createHarness, type Harness, root } from "../support/host.js";
import { snapshotStore } from "../support/snapshot.js";
import { type StoreTarget, useStoreTargets } from "../support/stores.js";

const targets = useStoreTargets("faults");
const readToken = { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] } as const;

interface Faulty {
  readonly inner: TokenStore;
  readonly faults: FaultyStore;
  readonly harness: Harness;
  readonly tokens: AccessTokens;
  /** A live token created before any fault. */
  readonly live: { secret: string; id: string };
}

async function withFaults(
  target: StoreTarget,
  run: (context: Faulty) => Promise<void>,
  options: Parameters<typeof createHarness>[0] = {},
): Promise<void> {
  const opened = await target.open();
  try {
    const faults = faultyStore(opened.store);
    const harness = createHarness({ ...options, store: faults.store });
    const created = await harness.tokens.create(readToken, alice);
    await run({
      inner: opened.store,
      faults,
      harness,
      tokens: harness.tokens,
      live: { secret: created.secret, id: created.token.id },
    });
    await harness.tokens.close();
  } finally {
    await opened.close();
  }
}

/** Asserts the call fails with StoreUnavailableError caused by the injected fault. */
async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    (value) => ({ resolved: value }),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect((error as Error).cause).toBeInstanceOf(InjectedFault);
}

for (const target of targets) {
  describe(`a failing store under the ${target.name}`, () => {
    it("verify fails closed: a failed lookup rejects with StoreUnavailableError, never ok", async () => {
      await withFaults(target, async ({ faults, tokens, live }) => {
        faults.failNext("findById");
        await expectUnavailable(tokens.verifyToken(live.secret));
        faults.failNext("findById", 1, { synchronous: true });
        await expectUnavailable(tokens.verifyToken(live.secret));
        faults.failNext("findById");
        await expectUnavailable(tokens.authenticate(`Bearer ${live.secret}`));
        faults.failNext("findById");
        await expectUnavailable(
          tokens.authenticate(`Basic ${Buffer.from(`alice:${live.secret}`).toString("base64")}`),
        );
        // A malformed token is refused without the store, so the outage does not matter.
        faults.failAll();
        expect(await tokens.verifyToken("pat_nope")).toEqual({ ok: false, reason: "malformed" });
        faults.heal();
        expect(await tokens.verifyToken(live.secret)).toMatchObject({ ok: true });
      });
    });

    it("a lookup that hangs and then fails keeps the verify pending, then rejects it", async () => {
      await withFaults(target, async ({ faults, tokens, live }) => {
        const held = faults.hang("findById");
        let settled = false;
        const verifying = tokens.verifyToken(live.secret).finally(() => {
          settled = true;
        });
        await held.arrived;
        // Other verifies are not blocked by the held one.
        expect(await tokens.verifyToken(live.secret)).toMatchObject({ ok: true });
        expect(settled).toBe(false);
        held.fail();
        await expectUnavailable(verifying);
      });
    });

    it("with every call failing, every operation rejects with StoreUnavailableError", async () => {
      await withFaults(target, async ({ faults, tokens, live, harness }) => {
        faults.failAll();
        await expectUnavailable(tokens.verifyToken(live.secret));
        await expectUnavailable(tokens.create(readToken, alice));
        await expectUnavailable(tokens.get(live.id, alice));
        await expectUnavailable(tokens.list({ owner: aliceOwner }, alice));
        await expectUnavailable(tokens.update(live.id, { name: "x" }, alice));
        await expectUnavailable(tokens.revoke(live.id, alice));
        await expectUnavailable(tokens.getPolicy());
        await expectUnavailable(tokens.setPolicy({ expiryRequired: true }, root));
        await expectUnavailable(tokens.purge({}, root));
        // Thrown to the caller, not reported: onError is for failures off the response path.
        expect(harness.errors).toEqual([]);
        expect(harness.events.map((event) => event.type)).toEqual(["token.created"]);
      });
    });

    const writes: [string, StoreMethod, (context: Faulty) => Promise<unknown>][] = [
      ["create (insert fails)", "insert", ({ tokens }) => tokens.create(readToken, alice)],
      ["create (policy read fails)", "getPolicy", ({ tokens }) => tokens.create(readToken, alice)],
      [
        "update (write fails)",
        "updateIfVersion",
        ({ tokens, live }) =>
          tokens.update(live.id, { name: "renamed", permissions: ["REPO_WRITE"] }, alice),
      ],
      [
        "update (read fails)",
        "findById",
        ({ tokens, live }) => tokens.update(live.id, { name: "renamed" }, alice),
      ],
      ["revoke (write fails)", "revoke", ({ tokens, live }) => tokens.revoke(live.id, alice)],
      [
        "setPolicy (write fails)",
        "putPolicy",
        ({ tokens }) => tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 7 }, root),
      ],
    ];
    for (const [name, method, write] of writes) {
      it(`${name}: rejects, leaves no partial state, emits nothing, and succeeds once healed`, async () => {
        await withFaults(target, async (context) => {
          const { faults, inner, harness, tokens, live } = context;
          const before = await snapshotStore(inner);
          const events = harness.events.length;
          faults.failNext(method);
          await expectUnavailable(write(context));
          expect(await snapshotStore(inner)).toBe(before);
          expect(harness.events.length).toBe(events);
          expect(await tokens.verifyToken(live.secret)).toMatchObject({ ok: true });
          await write(context);
          expect(await snapshotStore(inner)).not.toBe(before);
          expect(harness.events.length).toBe(events + 1);
        });
      });
    }

    it("a write whose answer is lost (committed, then failed) is safe to retry", async () => {
      await withFaults(target, async ({ faults, inner, tokens, live }) => {
        faults.failNext("updateIfVersion", 1, { when: "after" });
        await expectUnavailable(tokens.update(live.id, { name: "renamed" }, alice));
        // The retry reads the stored state: nothing left to change, no conflict, one version step.
        expect(await tokens.update(live.id, { name: "renamed" }, alice)).toMatchObject({
          name: "renamed",
        });
        expect((await inner.findById(live.id))?.version).toBe(2);

        faults.failNext("revoke", 1, { when: "after" });
        await expectUnavailable(tokens.revoke(live.id, alice));
        expect(await tokens.revoke(live.id, alice)).toMatchObject({ status: "revoked" });
        expect(await tokens.verifyToken(live.secret)).toMatchObject({ reason: "revoked" });

        // A create whose answer is lost leaves a token whose secret nobody received: it is
        // listed, so an admin can revoke it, and it can never authenticate anyone.
        faults.failNext("insert", 1, { when: "after" });
        await expectUnavailable(tokens.create({ ...readToken, name: "orphan" }, alice));
        const page = await tokens.list({ owner: aliceOwner }, alice);
        const orphan = page.items.find((item) => item.name === "orphan");
        expect(orphan?.status).toBe("active");
        await tokens.revoke(orphan?.id as string, alice);
      });
    });

    it("recovers by itself: the same instance works again once the store is back", async () => {
      await withFaults(target, async ({ faults, tokens, live }) => {
        faults.failAll();
        for (let i = 0; i < 3; i++) await expectUnavailable(tokens.verifyToken(live.secret));
        await expectUnavailable(tokens.create(readToken, alice));
        faults.heal();
        expect(await tokens.verifyToken(live.secret)).toMatchObject({ ok: true });
        const created = await tokens.create(readToken, alice);
        expect(await tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
      });
    });

    it("with the verification cache: a failed lookup caches nothing, and cached answers last at most ttlMs", async () => {
      const clock = createManualClock();
      await withFaults(
        target,
        async ({ faults, tokens, live }) => {
          // A failed lookup leaves nothing behind: the next one asks the store again.
          faults.failNext("findById");
          await expectUnavailable(tokens.verifyToken(live.secret));
          expect(await tokens.verifyToken(live.secret)).toMatchObject({ ok: true });
          const other = await tokens.create(readToken, alice);
          // During an outage, a token verified in the last ttlMs is answered from memory...
          faults.failAll();
          expect(await tokens.verifyToken(live.secret)).toMatchObject({ ok: true });
          // ...one that is not cached fails closed...
          await expectUnavailable(tokens.verifyToken(other.secret));
          // ...and once ttlMs has passed, so does the cached one.
          clock.advance(1000);
          await expectUnavailable(tokens.verifyToken(live.secret));
          faults.heal();
          expect(await tokens.verifyToken(other.secret)).toMatchObject({ ok: true });
        },
        { clock, cache: { ttlMs: 1000, maxEntries: 10 } },
      );
    });
  });
}
