import { inspect } from "node:util";
import type { Pepper } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { faultyStore } from "../support/faulty-store.js";
import { alice, aliceOwner, bob, createHarness, projectP, root } from "../support/host.js";
import { findLeaks, type Needle, renderings, secretNeedles } from "../support/secrets.js";
import { useStoreTargets } from "../support/stores.js";
import { expectedHash, withBadChecksum } from "../support/token-strings.js";

/** Settles a promise into its value or its error: both are scanned. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

/**
 * Drives a service through everything that produces output (results, views, verify answers,
 * events, errors thrown, errors reported) and returns it all, with the forms of every secret.
 */
async function everythingObservable(pepper: Pepper | Pepper[] | undefined) {
  const memory = createMemoryStore();
  const faults = faultyStore(memory);
  const harness = createHarness({ store: faults.store, pepper, lastAuthenticatedIntervalMs: 0 });
  const { tokens, host, clock, events, errors, counting } = harness;
  const outputs: unknown[] = [];
  const keep = async (promise: Promise<unknown>) => {
    const value = await outcome(promise);
    outputs.push(value);
    return value;
  };

  const personal = await tokens.create(
    { owner: aliceOwner, name: "personal", permissions: ["PROJECT_READ", "REPO_WRITE"] },
    alice,
  );
  const project = await tokens.create(
    { owner: projectP, name: "project", permissions: ["REPO_READ"], expiryDays: 1 },
    alice,
  );
  const secrets = [personal.secret, project.secret];
  outputs.push(personal, project, personal.token, { ...personal });

  // Views and pages.
  await keep(tokens.get(personal.token.id, alice));
  await keep(tokens.list({ owner: aliceOwner }, alice));
  await keep(tokens.list({}, root));
  await keep(tokens.update(personal.token.id, { name: "renamed" }, alice));
  await keep(tokens.getPolicy());

  // Every verify answer.
  await keep(tokens.verifyToken(personal.secret));
  await keep(tokens.verifyToken(personal.secret, { permission: "REPO_WRITE", projectId: "P" }));
  await keep(tokens.verifyToken(personal.secret, { permission: "REPO_ADMIN", projectId: "P" }));
  await keep(tokens.authenticate(`Bearer ${personal.secret}`));
  await keep(
    tokens.authenticate(`Basic ${Buffer.from(`alice:${personal.secret}`).toString("base64")}`),
  );
  await keep(
    tokens.authenticate(`Basic ${Buffer.from(`mallory:${personal.secret}`).toString("base64")}`),
  );
  await keep(
    tokens.authenticate(`Basic ${Buffer.from(`alice:${project.secret}`).toString("base64")}`),
  );
  await keep(tokens.verifyToken(withBadChecksum(personal.secret)));
  await keep(tokens.verifyToken(personal.secret.toUpperCase()));

  // Errors from misuse: a secret passed where an id, a cursor or a requirement belongs.
  await keep(tokens.get(personal.secret, alice));
  await keep(tokens.revoke(personal.secret, alice));
  await keep(tokens.update(personal.secret, { name: "x" }, alice));
  await keep(tokens.list({ owner: aliceOwner, cursor: personal.secret }, alice));
  await keep(tokens.verifyToken(personal.secret, { permission: "REPO_READ", projectId: "" }));
  await keep(tokens.get(personal.token.id, bob));
  await keep(tokens.create({ owner: aliceOwner, name: "x", permissions: ["REPO_READ"] }, bob));
  await keep(tokens.create({ owner: aliceOwner, name: "", permissions: [] }, alice));

  // Errors from a failing store, thrown and reported.
  faults.failNext("findById");
  await keep(tokens.verifyToken(personal.secret));
  faults.failNext("findById", 1, { synchronous: true });
  await keep(tokens.authenticate(`Bearer ${project.secret}`));
  faults.failNext("insert");
  await keep(tokens.create({ owner: aliceOwner, name: "y", permissions: ["REPO_READ"] }, alice));
  faults.failNext("touchLastAuthenticated");
  clock.advance(1000);
  await keep(tokens.verifyToken(project.secret));
  await tokens.flush();

  // Dead tokens: expired, revoked, inactive owner.
  clock.advance(2 * 24 * 60 * 60 * 1000);
  await keep(tokens.verifyToken(project.secret));
  host.deactivate("alice");
  await keep(tokens.verifyToken(personal.secret));
  await keep(tokens.revoke(personal.token.id, alice));
  await keep(tokens.verifyToken(personal.secret));
  await tokens.flush();
  await counting.idle();

  outputs.push(...events, ...errors, ...errors.map((reported) => reported.error));
  outputs.push(tokens, inspect(tokens, { depth: 4 }));

  const needles: Needle[] = [];
  for (const secret of secrets) {
    const record = memory.findById(secret.slice(4, 20));
    expect(record).not.toBeNull();
    needles.push(...secretNeedles(secret, record?.secretHash));
  }
  return { outputs, needles, secrets, events, errors, memory, pepper };
}

describe("secrets and hashes never reach results, views, events, errors or logs", () => {
  for (const pepper of [undefined, "pepper", ["new pepper", "old pepper"]]) {
    it(`scans everything observable (pepper: ${JSON.stringify(pepper)})`, async () => {
      const { outputs, needles, events, errors } = await everythingObservable(pepper);
      // The run produced what it should, so the scan covers it.
      expect(events.map((event) => event.type)).toEqual([
        "token.created",
        "token.created",
        "token.updated",
        "token.revoked",
      ]);
      expect(errors.map((reported) => reported.context.source)).toEqual(["lastAuthenticated"]);
      expect(outputs.length).toBeGreaterThan(40);
      expect(findLeaks(needles, outputs)).toEqual([]);
    });
  }

  it("the scanner finds what it looks for (control)", async () => {
    const { needles, secrets, memory } = await everythingObservable("pepper");
    const secret = secrets[0] as string;
    const record = memory.findById(secret.slice(4, 20));
    // The stored hash is HMAC-SHA-256(pepper, secret part): what the needles are made of.
    expect(Buffer.from(record?.secretHash ?? []).equals(expectedHash(secret, "pepper"))).toBe(true);
    expect(findLeaks(needles, [secret])).toContain("token in value #0");
    expect(findLeaks(needles, [{ nested: { deeper: [secret.slice(20, 63)] } }])).toContain(
      "secret part in value #0",
    );
    expect(findLeaks(needles, [record])).toContain("hash bytes in value #0");
    expect(findLeaks(needles, [new Error("x", { cause: new Error(secret) })])).not.toEqual([]);
    const hex = Buffer.from(record?.secretHash ?? []).toString("hex");
    expect(findLeaks(needles, [`stored \\x${hex}`])).toContain("hash hex in value #0");
  });

  it("the create result hides the secret from JSON and inspect, yet hands it over", async () => {
    const { tokens } = createHarness();
    const created = await tokens.create(
      { owner: aliceOwner, name: "n", permissions: ["REPO_READ"] },
      alice,
    );
    const { secret } = created;
    expect(secret).toMatch(/^pat_[0-9A-Za-z]{65}$/);
    expect(JSON.stringify(created)).not.toContain(secret);
    expect(inspect(created, { depth: null })).not.toContain(secret);
    expect(Object.keys(created)).toEqual(["token"]);
    expect({ ...created }).not.toHaveProperty("secret");
  });
});

const targets = useStoreTargets("hygiene").filter((target) => target.kind !== "memory");

/** Any 32-byte value written as hex (with or without `\x`) or base64, as a hash would be. */
const HASH_LIKE = /[0-9a-f]{64}|[0-9A-F]{64}|[A-Za-z0-9+/]{43}=/;

for (const target of targets) {
  describe(`real driver errors from the ${target.name} carry no secret or hash`, () => {
    it("a refused insert and a refused re-hash: errors thrown and reported are clean", async () => {
      const opened = await target.open();
      const sql = opened.client as NonNullable<typeof opened.client>;
      const table = `"${opened.schema}"."patkit_tokens"`;
      try {
        const first = createHarness({ store: opened.store, pepper: "pepper-1" });
        const created = await first.tokens.create(
          { owner: aliceOwner, name: "t", permissions: ["REPO_READ"] },
          alice,
        );
        await sql.query(
          `CREATE FUNCTION "${opened.schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
        );
        await sql.query(
          `CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON ${table}
           FOR EACH ROW EXECUTE FUNCTION "${opened.schema}".refuse()`,
        );
        const rotating = createHarness({ store: opened.store, pepper: ["pepper-2", "pepper-1"] });
        const refused = await outcome(
          rotating.tokens.create(
            { owner: aliceOwner, name: "u", permissions: ["REPO_READ"] },
            alice,
          ),
        );
        expect(refused).toMatchObject({ code: "STORE_UNAVAILABLE" });
        expect(await rotating.tokens.verifyToken(created.secret)).toMatchObject({ ok: true });
        await rotating.counting.idle();
        await rotating.tokens.flush();
        // The trigger refuses the last-authenticated write too: both are reported.
        expect(rotating.errors.map((reported) => reported.context.source).sort()).toEqual([
          "lastAuthenticated",
          "rehash",
        ]);
        const reported = rotating.errors.map((entry) => entry.error);
        for (const error of reported) {
          expect(error).toMatchObject({ code: "STORE_UNAVAILABLE" });
          // The driver's error is attached as the cause: the scan covers it.
          expect((error as Error).cause).toMatchObject({
            message: expect.stringContaining("refused by the test"),
          });
        }

        const needles = [
          ...secretNeedles(created.secret, expectedHash(created.secret, "pepper-1")),
          ...secretNeedles(created.secret, expectedHash(created.secret, "pepper-2")),
        ];
        expect(findLeaks(needles, [refused, ...reported])).toEqual([]);
        if (target.kind === "pglite") {
          // Control: PGlite puts a statement's parameters on its errors; the scan sees them.
          const raw = await outcome(sql.query("SELECT decode($1, 'hex')::int", ["ab".repeat(32)]));
          expect(renderings(raw).some((text) => HASH_LIKE.test(text))).toBe(true);
        }
        for (const error of [refused, ...reported]) {
          for (const text of renderings(error)) expect(text).not.toMatch(HASH_LIKE);
        }
      } finally {
        await opened.close();
      }
    });
  });
}
