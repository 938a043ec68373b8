import {
  type AccessTokenEvent,
  type AccessTokens,
  StoreUnavailableError,
  type TokenStore,
} from "patkit";
import { describe, expect, it } from "vitest";
import { faultyStore, InjectedFault } from "../support/faulty-store.js";
import { alice, aliceOwner, createHarness, root } from "../support/host.js";
import { type StoreTarget, useStoreTargets } from "../support/stores.js";

const targets = useStoreTargets("hooks");
const readToken = { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] } as const;
const MINUTE = 60_000;

async function withStore(target: StoreTarget, run: (store: TokenStore) => Promise<void>) {
  const opened = await target.open();
  try {
    await run(opened.store);
  } finally {
    await opened.close();
  }
}

/** Every management call once, each of which emits one event. */
async function everyManagementCall(tokens: AccessTokens) {
  const created = await tokens.create(readToken, alice);
  const updated = await tokens.update(created.token.id, { name: "renamed" }, alice);
  const revoked = await tokens.revoke(created.token.id, alice);
  const policy = await tokens.setPolicy({ expiryRequired: true, maxExpiryDays: 90 }, root);
  return { created, updated, revoked, policy };
}

for (const target of targets) {
  describe(`hooks and last-authenticated writes on the ${target.name}`, () => {
    it("a failing last-authenticated write fails no verify, is reported, and is retried later", async () => {
      await withStore(target, async (store) => {
        const faults = faultyStore(store);
        const { tokens, errors, clock } = createHarness({ store: faults.store });
        const { secret, token } = await tokens.create(readToken, alice);
        faults.failNext("touchLastAuthenticated");
        expect(await tokens.verifyToken(secret)).toMatchObject({ ok: true });
        await tokens.flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]?.context).toEqual({ source: "lastAuthenticated" });
        expect(errors[0]?.error).toBeInstanceOf(StoreUnavailableError);
        expect(errors[0]?.error).toMatchObject({ cause: expect.any(InjectedFault) });
        expect((await store.findById(token.id))?.lastAuthenticatedAt).toBeNull();
        // The failed write is forgotten, so the next authentication writes at once.
        clock.advance(1000);
        expect(await tokens.verifyToken(secret)).toMatchObject({ ok: true });
        await tokens.flush();
        expect((await store.findById(token.id))?.lastAuthenticatedAt).toEqual(clock.now());
        expect(errors).toHaveLength(1);
      });
    });

    it("a last-authenticated write that hangs is off the response path: verifies answer meanwhile", async () => {
      await withStore(target, async (store) => {
        const faults = faultyStore(store);
        const { tokens, errors, clock } = createHarness({ store: faults.store });
        const { secret } = await tokens.create(readToken, alice);
        const held = faults.hang("touchLastAuthenticated");
        expect(await tokens.verifyToken(secret)).toMatchObject({ ok: true });
        await held.arrived;
        clock.advance(MINUTE);
        expect(await tokens.verifyToken(secret)).toMatchObject({ ok: true });
        await tokens.update(
          (await tokens.list({ owner: aliceOwner }, alice)).items[0]?.id as string,
          { name: "still editable" },
          alice,
        );
        let flushed = false;
        const flushing = tokens.flush().then(() => {
          flushed = true;
        });
        await new Promise((resolve) => setImmediate(resolve));
        expect(flushed).toBe(false);
        held.fail();
        await flushing;
        expect(errors.map((reported) => reported.context.source)).toEqual(["lastAuthenticated"]);
      });
    });

    for (const style of ["throws", "rejects"] as const) {
      it(`an onEvent hook that ${style} fails no call, changes nothing, and goes to onError`, async () => {
        await withStore(target, async (store) => {
          const seen: AccessTokenEvent[] = [];
          const { tokens, errors } = createHarness({
            store,
            onEvent: (event) => {
              seen.push(event);
              const failure = new Error(`audit log down (${event.type})`);
              if (style === "throws") throw failure;
              return Promise.reject(failure);
            },
          });
          const { created, revoked, policy } = await everyManagementCall(tokens);
          await new Promise((resolve) => setImmediate(resolve));
          expect(seen.map((event) => event.type)).toEqual([
            "token.created",
            "token.updated",
            "token.revoked",
            "policy.updated",
          ]);
          expect(errors.map((reported) => reported.context.source)).toEqual([
            "onEvent",
            "onEvent",
            "onEvent",
            "onEvent",
          ]);
          expect(errors[0]?.error).toMatchObject({ message: "audit log down (token.created)" });
          // Every change stands as the calls reported it.
          const stored = await store.findById(created.token.id);
          expect(stored?.name).toBe("renamed");
          expect(stored?.revokedAt).toEqual(revoked.revokedAt);
          expect(await tokens.getPolicy()).toMatchObject(policy);
          expect(await tokens.verifyToken(created.secret)).toMatchObject({ reason: "revoked" });
        });
      });
    }

    it("an onError hook that throws or rejects fails nothing either", async () => {
      await withStore(target, async (store) => {
        const faults = faultyStore(store);
        let reported = 0;
        const { tokens } = createHarness({
          store: faults.store,
          onEvent: () => {
            throw new Error("audit log down");
          },
          onError: () => {
            reported++;
            if (reported % 2) throw new Error("error log down too");
            return Promise.reject(new Error("error log down too"));
          },
        });
        const { created } = await everyManagementCall(tokens);
        const other = await tokens.create({ ...readToken, expiryDays: 30 }, alice);
        faults.failNext("touchLastAuthenticated");
        expect(await tokens.verifyToken(other.secret)).toMatchObject({ ok: true });
        await tokens.flush();
        expect(reported).toBe(6);
        expect(await tokens.verifyToken(created.secret)).toMatchObject({ reason: "revoked" });
      });
    });

    it("events are emitted only after the change is stored", async () => {
      await withStore(target, async (store) => {
        const reads: Promise<unknown>[] = [];
        const { tokens } = createHarness({
          store,
          onEvent: (event) => {
            if (event.token)
              reads.push(
                Promise.resolve(store.findById(event.token.id)).then((record) => ({
                  type: event.type,
                  name: record?.name,
                  revoked: record?.revokedAt !== null,
                })),
              );
            else reads.push(Promise.resolve(store.getPolicy()));
          },
        });
        await everyManagementCall(tokens);
        expect(await Promise.all(reads)).toEqual([
          { type: "token.created", name: "t", revoked: false },
          { type: "token.updated", name: "renamed", revoked: false },
          { type: "token.revoked", name: "renamed", revoked: true },
          expect.objectContaining({ expiryRequired: true, maxExpiryDays: 90 }),
        ]);
      });
    });

    it("a failed write emits no event", async () => {
      await withStore(target, async (store) => {
        const faults = faultyStore(store);
        const { tokens, events } = createHarness({ store: faults.store });
        const created = await tokens.create(readToken, alice);
        faults.failAll();
        await expect(tokens.create(readToken, alice)).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(tokens.revoke(created.token.id, alice)).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        expect(events.map((event) => event.type)).toEqual(["token.created"]);
      });
    });
  });
}
