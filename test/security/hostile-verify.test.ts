import fc from "fast-check";
import {
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
  type TokenStore,
  type VerifyResult,
} from "patkit";
import { createMemoryStore } from "patkit/memory";
import { beforeAll, describe, expect, it } from "vitest";
import {
  anyValue,
  hostileString,
  mutate,
  nearMiss,
  unissuedToken,
  withNul,
} from "../support/arbitraries.js";
import { FUZZ_RUNS, fuzzRuns, fuzzTimeout } from "../support/fuzz.js";
import { alice, aliceOwner, createHarness, type Harness, projectP } from "../support/host.js";
import { useStoreTargets } from "../support/stores.js";
import { isWellFormedToken, withOtherSecret } from "../support/token-strings.js";

const REASONS = [
  "malformed",
  "unknown",
  "expired",
  "revoked",
  "insufficient_permission",
  "inactive_owner",
  "wrong_scheme",
];

interface Fixture {
  readonly harness: Harness;
  /** Tokens that authenticate: a personal one (alice) and a project one. */
  readonly live: readonly string[];
  /** Issued tokens that must not authenticate: revoked, expired. */
  readonly dead: readonly string[];
  /** Live tokens of another service with prefix `acme`, on another store. */
  readonly otherPrefix: readonly string[];
  readonly all: readonly string[];
}

async function buildFixture(store: TokenStore = createMemoryStore()): Promise<Fixture> {
  const harness = createHarness({ store });
  const { tokens, clock } = harness;
  const personal = await tokens.create(
    { owner: aliceOwner, name: "live personal", permissions: ["PROJECT_READ", "REPO_WRITE"] },
    alice,
  );
  const project = await tokens.create(
    { owner: projectP, name: "live project", permissions: ["REPO_READ"] },
    alice,
  );
  const revoked = await tokens.create(
    { owner: aliceOwner, name: "revoked", permissions: ["REPO_READ"] },
    alice,
  );
  await tokens.revoke(revoked.token.id, alice);
  const expired = await tokens.create(
    { owner: aliceOwner, name: "expired", permissions: ["REPO_READ"], expiryDays: 1 },
    alice,
  );
  clock.advance(2 * 24 * 60 * 60 * 1000);
  const other = createHarness({ prefix: "acme", store: createMemoryStore() });
  const acme = await other.tokens.create(
    { owner: aliceOwner, name: "acme", permissions: ["REPO_READ"] },
    alice,
  );
  const live = [personal.secret, project.secret];
  const dead = [revoked.secret, expired.secret];
  return { harness, live, dead, otherPrefix: [acme.secret], all: [...live, ...dead] };
}

/** Candidate token strings: hostile strings, near misses, and well-formed strangers. */
function candidates(fixture: Fixture): fc.Arbitrary<string> {
  const issued = [...fixture.all, ...fixture.otherPrefix];
  return fc.oneof(
    hostileString(),
    nearMiss(issued),
    withNul(issued),
    unissuedToken(),
    unissuedToken("acme"),
    // A known id with another secret: passes every offline check, fails at the hash.
    fc
      .tuple(fc.constantFrom(...fixture.all), unissuedToken())
      .map(([token, stranger]) => withOtherSecret(token, stranger.slice(20, 63))),
    fc.constantFrom(
      ...issued,
      ...issued.map((token) => token.toUpperCase()),
      ...issued.map((token) => ` ${token}`),
      ...fixture.otherPrefix.map((token) => `pat${token.slice(4)}`),
      ...fixture.live.map((token) => `${token}${token}`),
    ),
  );
}

/** The checks every verification of a candidate must pass. */
function expectSafeResult(fixture: Fixture, candidate: string, result: VerifyResult): void {
  if (result.ok) expect(fixture.live).toContain(candidate);
  else expect(REASONS).toContain(result.reason);
  if (!isWellFormedToken(candidate)) expect(result).toEqual({ ok: false, reason: "malformed" });
}

/** The token an Authorization header carries, by the parser proven below; `null` for none. */
function credentialOf(header: string): string | null {
  const parsed = parseAuthorization(header);
  if (!parsed.ok) return null;
  return parsed.scheme === "bearer" ? parsed.token : parsed.password;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

describe("hostile token strings", () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await buildFixture();
  });

  it("the fixture's live tokens authenticate and its dead ones do not (control)", async () => {
    const { tokens } = fixture.harness;
    for (const token of fixture.live) expect((await tokens.verifyToken(token)).ok).toBe(true);
    for (const token of fixture.live)
      expect((await tokens.authenticate(`Bearer ${token}`)).ok).toBe(true);
    expect((await tokens.authenticate(basic("alice", fixture.live[0] as string))).ok).toBe(true);
    expect(await tokens.verifyToken(fixture.dead[0] as string)).toMatchObject({
      reason: "revoked",
    });
    expect(await tokens.verifyToken(fixture.dead[1] as string)).toMatchObject({
      reason: "expired",
    });
  });

  it(
    "verifyToken never rejects, accepts only live tokens, and looks up only well-formed ones",
    async () => {
      const { tokens, counting } = fixture.harness;
      await fc.assert(
        fc.asyncProperty(candidates(fixture), async (candidate) => {
          counting.reset();
          const result = await tokens.verifyToken(candidate);
          expectSafeResult(fixture, candidate, result);
          expect(counting.count("findById")).toBe(isWellFormedToken(candidate) ? 1 : 0);
          expect(counting.count() - counting.count("touchLastAuthenticated")).toBe(
            counting.count("findById"),
          );
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "authenticate never rejects for Bearer, Basic or bare candidates, and accepts only live tokens",
    async () => {
      const { tokens, counting } = fixture.harness;
      const headerOf = {
        bearer: (token: string) => `Bearer ${token}`,
        lowerBearer: (token: string) => `bearer   ${token}\t`,
        basic: (token: string) => basic("alice", token),
        bare: (token: string) => token,
      };
      await fc.assert(
        fc.asyncProperty(
          candidates(fixture),
          fc.constantFrom(...(Object.keys(headerOf) as (keyof typeof headerOf)[])),
          async (candidate, form) => {
            counting.reset();
            const header = headerOf[form](candidate);
            const result = await tokens.authenticate(header);
            const credential = credentialOf(header);
            if (credential === null) expect(result.ok).toBe(false);
            else expectSafeResult(fixture, credential, result);
            if (credential === null || !isWellFormedToken(credential))
              expect(counting.count("findById")).toBe(0);
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "a one-character change to an issued token is malformed and costs no lookup",
    async () => {
      const { tokens, counting } = fixture.harness;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...fixture.all),
          fc.nat(),
          fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
          fc.constantFrom("replace", "delete", "insert", "swap", "flip-case" as const),
          async (token, position, character, mutation) => {
            const changed = mutate(token, position, character, mutation);
            fc.pre(changed !== token);
            counting.reset();
            expect(await tokens.verifyToken(changed)).toEqual({ ok: false, reason: "malformed" });
            expect(counting.count()).toBe(0);
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it("a valid token of another prefix is malformed here and costs no lookup", async () => {
    const { tokens, counting } = fixture.harness;
    for (const token of fixture.otherPrefix) {
      counting.reset();
      expect(await tokens.verifyToken(token)).toEqual({ ok: false, reason: "malformed" });
      expect(await tokens.authenticate(`Bearer ${token}`)).toEqual({
        ok: false,
        reason: "malformed",
      });
      expect(counting.count()).toBe(0);
    }
  });

  it(
    "non-string secrets and headers resolve to malformed without a lookup",
    async () => {
      const { tokens, counting } = fixture.harness;
      await fc.assert(
        fc.asyncProperty(anyValue(), async (value) => {
          fc.pre(typeof value !== "string");
          counting.reset();
          expect(await tokens.verifyToken(value as string)).toEqual({
            ok: false,
            reason: "malformed",
          });
          expect(await tokens.authenticate(value as string)).toEqual({
            ok: false,
            reason: "malformed",
          });
          expect(counting.count()).toBe(0);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "credential objects with hostile fields resolve to a reason, and only well-formed tokens are looked up",
    async () => {
      const { tokens, counting } = fixture.harness;
      const credential = fc.oneof(
        fc.record({ ok: fc.constant(true), scheme: fc.constant("bearer"), token: anyValue() }),
        fc.record({
          ok: fc.constant(true),
          scheme: fc.constantFrom("basic", "digest", "", "BEARER"),
          username: anyValue(),
          password: anyValue(),
        }),
        fc.record({ ok: anyValue(), reason: anyValue() }),
      );
      await fc.assert(
        fc.asyncProperty(credential, async (value) => {
          counting.reset();
          const result = await tokens.authenticate(value as never);
          expect(result.ok).toBe(false);
          expect(REASONS).toContain((result as { reason: string }).reason);
          expect(counting.count()).toBe(0);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "arbitrary Authorization headers never make authenticate reject or accept a non-live token",
    async () => {
      const { tokens, counting } = fixture.harness;
      const scheme = fc.constantFrom("Bearer", "bearer", "BASIC", "Basic", "Token", "Digest", "");
      const header = fc.oneof(
        hostileString(),
        fc
          .tuple(scheme, fc.constantFrom(" ", "  ", "\t", ""), hostileString())
          .map((parts) => parts.join("")),
        fc.tuple(hostileString(), hostileString()).map(([user, password]) => basic(user, password)),
        fc
          .tuple(fc.constantFrom(...fixture.live), hostileString())
          .map(([token, junk]) => `Bearer ${token}${junk}`),
      );
      await fc.assert(
        fc.asyncProperty(header, async (value) => {
          counting.reset();
          const result = await tokens.authenticate(value);
          expect(REASONS.includes((result as { reason?: string }).reason ?? "") || result.ok).toBe(
            true,
          );
          const credential = credentialOf(value);
          if (result.ok) expect(fixture.live).toContain(credential);
          if (credential === null || !isWellFormedToken(credential))
            expect(counting.count("findById")).toBe(0);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );
});

describe("parseAuthorization on hostile headers", () => {
  it(
    "is total: any value gives a well-shaped result and nothing throws",
    () => {
      fc.assert(
        fc.property(fc.oneof(hostileString(), anyValue()), (value) => {
          const parsed = parseAuthorization(value);
          if (!parsed.ok) {
            expect(["missing_credentials", "malformed_header", "unsupported_scheme"]).toContain(
              parsed.reason,
            );
            return;
          }
          expect(typeof value).toBe("string");
          expect((value as string).length).toBeLessThanOrEqual(MAX_AUTHORIZATION_LENGTH);
          if (parsed.scheme === "bearer") expect(parsed.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
          else {
            expect(parsed.scheme).toBe("basic");
            expect(parsed.username).not.toContain(":");
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "round-trips Basic credentials of any well-formed Unicode user-id and password",
    () => {
      const text = fc.string({ unit: "binary", maxLength: 60 });
      fc.assert(
        fc.property(
          text.filter((user) => !user.includes(":")),
          text,
          fc.constantFrom("Basic", "basic", "BASIC"),
          (username, password, scheme) => {
            const encoded = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
            const header = `${scheme} ${encoded}`;
            fc.pre(header.length <= MAX_AUTHORIZATION_LENGTH);
            expect(parseAuthorization(header)).toEqual({
              ok: true,
              scheme: "basic",
              username,
              password,
            });
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "round-trips any RFC 6750 Bearer token and refuses any with another character",
    () => {
      const b64 = fc.string({
        unit: fc.constantFrom(
          ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/",
        ),
        minLength: 1,
        maxLength: 100,
      });
      fc.assert(
        fc.property(b64, fc.constantFrom("", "=", "=="), (token, padding) => {
          expect(parseAuthorization(`Bearer ${token}${padding}`)).toEqual({
            ok: true,
            scheme: "bearer",
            token: `${token}${padding}`,
          });
        }),
        { numRuns: FUZZ_RUNS },
      );
      fc.assert(
        fc.property(
          b64,
          fc.nat(),
          fc
            .string({ unit: "binary", minLength: 1, maxLength: 1 })
            .filter((character) => !/[A-Za-z0-9\-._~+/= \t]/.test(character)),
          (token, position, character) => {
            const at = position % (token.length + 1);
            const bad = token.slice(0, at) + character + token.slice(at);
            expect(parseAuthorization(`Bearer ${bad}`)).toMatchObject({ ok: false });
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it("refuses headers longer than MAX_AUTHORIZATION_LENGTH, even around a valid token", () => {
    const token = `pat_${"a".repeat(65)}`;
    const padded = `Bearer ${token}${" ".repeat(MAX_AUTHORIZATION_LENGTH)}`;
    expect(parseAuthorization(padded)).toEqual({ ok: false, reason: "malformed_header" });
    expect(parseAuthorization(`Bearer ${token}`)).toMatchObject({ ok: true });
  });
});

const databases = useStoreTargets("hostile").filter((target) => target.kind !== "memory");

for (const target of databases) {
  describe(`hostile token strings against the ${target.name}`, () => {
    it(
      "verify and authenticate never reject, accept only live tokens, and query only for well-formed ones",
      async () => {
        const opened = await target.open();
        try {
          const fixture = await buildFixture(opened.store);
          const { tokens, counting } = fixture.harness;
          for (const token of fixture.live) expect((await tokens.verifyToken(token)).ok).toBe(true);
          await fc.assert(
            fc.asyncProperty(candidates(fixture), fc.boolean(), async (candidate, header) => {
              counting.reset();
              const result = header
                ? await tokens.authenticate(`Bearer ${candidate}`)
                : await tokens.verifyToken(candidate);
              const credential = header ? credentialOf(`Bearer ${candidate}`) : candidate;
              if (credential === null) expect(result.ok).toBe(false);
              else expectSafeResult(fixture, credential, result);
              if (credential === null || !isWellFormedToken(credential))
                expect(counting.count("findById")).toBe(0);
            }),
            { numRuns: fuzzRuns(0.25) },
          );
          await tokens.close();
        } finally {
          await opened.close();
        }
      },
      fuzzTimeout(60_000),
    );
  });
}
