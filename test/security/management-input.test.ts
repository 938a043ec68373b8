import fc from "fast-check";
import {
  type AccessTokens,
  PatkitError,
  PERMISSIONS,
  type Permission,
  type TokenStore,
  ValidationError,
} from "patkit";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
import { anyValue } from "../support/arbitraries.js";
import { FUZZ_RUNS, fuzzRuns, fuzzTimeout } from "../support/fuzz.js";
import { alice, aliceOwner, createHarness, projectP, root } from "../support/host.js";
import { snapshotStore } from "../support/snapshot.js";
import { useStoreTargets } from "../support/stores.js";

// Independent statements of what each input may be, written from the API contract.
const MAX_EXPIRY_DAYS = 36_500;

/** Lengths are counted in code points, as PostgreSQL counts characters. */
function hasLength(value: unknown, min: number, max: number): value is string {
  if (typeof value !== "string") return false;
  const length = [...value].length;
  return length >= min && length <= max;
}

/** Text a database stores as given: it survives UTF-8 unchanged, and has no NUL. */
function isStorable(value: string): boolean {
  return Buffer.from(value, "utf8").toString("utf8") === value && !value.includes("\u0000");
}

function isHostId(value: unknown): boolean {
  return hasLength(value, 1, 255) && isStorable(value);
}

function isTokenId(value: unknown): boolean {
  return hasLength(value, 1, 64) && isStorable(value);
}

function isValidName(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const trimmed = value.trim();
  const control = [...trimmed].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  return hasLength(trimmed, 1, 255) && !control && isStorable(trimmed);
}

function isValidDays(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_EXPIRY_DAYS)
  );
}

function hasExactKeys(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => own.includes(key));
}

function isValidOwner(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === "user")
    return hasExactKeys(value, ["kind", "userId"]) && isHostId(value.userId as unknown);
  if (kind === "project")
    return hasExactKeys(value, ["kind", "projectId"]) && isHostId(value.projectId as unknown);
  if (kind === "repository")
    return (
      hasExactKeys(value, ["kind", "projectId", "repositoryId"]) &&
      isHostId(value.projectId) &&
      isHostId(value.repositoryId)
    );
  return false;
}

const RANK: Record<string, number> = { READ: 1, WRITE: 2, ADMIN: 3 };

function isValidPermissionSet(value: unknown, kind: "user" | "project" | "repository"): boolean {
  if (!Array.isArray(value) || value.length < 1 || value.length > 2) return false;
  const items: unknown[] = [];
  for (let i = 0; i < value.length; i++) items.push(value[i]);
  if (!items.every((item) => (PERMISSIONS as readonly unknown[]).includes(item))) return false;
  const permissions = items as string[];
  const project = permissions.filter((p) => p.startsWith("PROJECT_"));
  const repository = permissions.filter((p) => p.startsWith("REPO_"));
  if (repository.length !== 1 || project.length > 1) return false;
  if (kind === "repository" && project.length > 0) return false;
  const level = (p: string) => RANK[p.split("_")[1] as string] as number;
  return project.length === 0 || level(repository[0] as string) >= level(project[0] as string);
}

function isValidActor(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { userId, via } = value as { userId?: unknown; via?: unknown };
  return isHostId(userId) && (via === undefined || via === "session" || via === "token");
}

function isValidCursor(value: unknown): boolean {
  // An empty cursor, like none, asks for the first page.
  if (value === undefined || value === null || value === "") return true;
  if (!hasLength(value, 0, 64)) return false;
  const match = /^([0-9a-z]{1,11})_[0-9A-Za-z]{1,64}$/.exec(value);
  if (!match) return false;
  // A cursor stands for an instant: it must decode to a date that exists.
  const millis = Number.parseInt(match[1] as string, 36);
  return Number.isSafeInteger(millis) && !Number.isNaN(new Date(millis).getTime());
}

// Values built to be wrong in the ways clients get them wrong, plus anything at all.
const wrongString = fc.oneof(
  fc.constant(""),
  fc.constantFrom("u\ud800", "\udc00x", "a\u0000b", "\u0000", "x\udbff\udbffy"),
  fc.string({ minLength: 256, maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 20 }).map((text) => `${text}\u0000${text}`),
  fc.constantFrom(" ", "\t", "\n", "\u0007", "\u007f", "a\u001bb"),
);
const wrongNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -1_000_000, max: 0 }),
  fc.integer({ min: MAX_EXPIRY_DAYS + 1 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1.5, 2 ** 53 + 2, "30", 30n),
);
const anyOrWrong = fc.oneof(anyValue(), wrongString, wrongNumber);

const nearOwner = fc.oneof(
  fc.record(
    {
      kind: fc.oneof(fc.constantFrom("user", "project", "repository", "USER", "group"), anyValue()),
      userId: fc.oneof(fc.constant("alice"), wrongString, anyValue()),
      projectId: fc.oneof(fc.constant("P"), wrongString),
      repositoryId: fc.oneof(fc.constant("R1"), wrongString),
      extra: anyValue(),
    },
    { requiredKeys: ["kind"] },
  ),
  fc.constantFrom(
    { kind: "user", userId: "alice", projectId: "P" },
    { kind: "project", projectId: "P", repositoryId: "R1", userId: "alice" },
    { kind: "repository", projectId: "P" },
    [aliceOwner],
    JSON.stringify(aliceOwner),
  ),
  anyValue(),
);

const nearPermissions = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...PERMISSIONS), anyValue()), { maxLength: 4 }),
  fc.array(fc.constantFrom(...PERMISSIONS, "REPO_READ ", "repo_read", "SYSTEM_ADMIN"), {
    maxLength: 4,
  }),
  anyValue(),
);

type Run = (tokens: AccessTokens, value: unknown, target: string) => Promise<unknown>;

interface InputCase {
  /** Where the value goes; the issue paths must start with these keys. */
  readonly field: readonly (string | number)[];
  readonly values: fc.Arbitrary<unknown>;
  /** Skips values that are valid (those are the other suites' business). */
  readonly invalid: (value: unknown) => boolean;
  readonly run: Run;
}

const base = { owner: aliceOwner, name: "n", permissions: ["REPO_READ"] } as const;

const CASES: Readonly<Record<string, InputCase>> = {
  "create: name": {
    field: ["name"],
    values: anyOrWrong,
    invalid: (value) => !isValidName(value),
    run: (tokens, name) => tokens.create({ ...base, name } as never, alice),
  },
  "create: permissions": {
    field: ["permissions"],
    values: nearPermissions,
    invalid: (value) => !isValidPermissionSet(value, "user"),
    run: (tokens, permissions) => tokens.create({ ...base, permissions } as never, alice),
  },
  "create: repository token permissions": {
    field: ["permissions"],
    values: nearPermissions,
    invalid: (value) => !isValidPermissionSet(value, "repository"),
    run: (tokens, permissions) =>
      tokens.create(
        {
          owner: { kind: "repository", projectId: "P", repositoryId: "R1" },
          name: "n",
          permissions,
        } as never,
        alice,
      ),
  },
  "create: expiryDays": {
    field: ["expiryDays"],
    values: anyOrWrong,
    invalid: (value) => !isValidDays(value),
    run: (tokens, expiryDays) => tokens.create({ ...base, expiryDays } as never, alice),
  },
  "create: owner": {
    field: ["owner"],
    values: nearOwner,
    invalid: (value) => !isValidOwner(value),
    run: (tokens, owner) => tokens.create({ ...base, owner } as never, alice),
  },
  "create: actor": {
    field: ["actor"],
    values: fc.oneof(
      anyOrWrong,
      fc.record(
        { userId: fc.oneof(wrongString, anyValue()), via: anyValue() },
        {
          requiredKeys: [],
        },
      ),
    ),
    invalid: (value) => !isValidActor(value),
    run: (tokens, actor) => tokens.create(base, actor as never),
  },
  "update: name": {
    field: ["name"],
    values: anyOrWrong,
    invalid: (value) => value !== undefined && !isValidName(value),
    run: (tokens, name, target) => tokens.update(target, { name } as never, alice),
  },
  "update: permissions": {
    field: ["permissions"],
    values: nearPermissions,
    invalid: (value) => value !== undefined && !isValidPermissionSet(value, "user"),
    run: (tokens, permissions, target) => tokens.update(target, { permissions } as never, alice),
  },
  "update: expiryDays": {
    field: ["expiryDays"],
    values: anyOrWrong,
    invalid: (value) => value !== undefined && value !== null && !isValidDays(value),
    run: (tokens, expiryDays, target) => tokens.update(target, { expiryDays } as never, alice),
  },
  "update: expiresAt": {
    field: ["expiresAt"],
    values: fc.oneof(
      anyValue(),
      fc.date({ max: new Date("2025-12-31T00:00:00Z"), noInvalidDate: false }),
      fc.constant(new Date(Number.NaN)),
    ),
    invalid: (value) =>
      value !== undefined && !(value instanceof Date && value.getTime() > Date.parse("2026-01-01")),
    run: (tokens, expiresAt, target) => tokens.update(target, { expiresAt } as never, alice),
  },
  "update: id": {
    field: ["id"],
    values: anyOrWrong,
    invalid: (value) => !isTokenId(value),
    run: (tokens, id) => tokens.update(id as string, { name: "renamed" }, alice),
  },
  "revoke: id": {
    field: ["id"],
    values: anyOrWrong,
    invalid: (value) => !isTokenId(value),
    run: (tokens, id) => tokens.revoke(id as string, alice),
  },
  "revoke: actor": {
    field: ["actor"],
    values: anyOrWrong,
    invalid: (value) => !isValidActor(value),
    run: (tokens, actor, target) => tokens.revoke(target, actor as never),
  },
  "get: id": {
    field: ["id"],
    values: anyOrWrong,
    invalid: (value) => !isTokenId(value),
    run: (tokens, id) => tokens.get(id as string, alice),
  },
  "list: owner": {
    field: ["owner"],
    values: nearOwner,
    invalid: (value) => value !== undefined && !isValidOwner(value),
    run: (tokens, owner) => tokens.list({ owner } as never, root),
  },
  "list: cursor": {
    field: ["cursor"],
    values: fc.oneof(
      anyOrWrong,
      fc.stringMatching(/^[0-9a-z]{1,12}_[0-9A-Za-z]{0,65}$/),
      fc
        .bigInt({ min: 8_640_000_000_000_001n, max: 9_007_199_254_740_991n })
        .map((millis) => `${millis.toString(36)}_abc`),
    ),
    invalid: (value) => !isValidCursor(value),
    run: (tokens, cursor) => tokens.list({ owner: aliceOwner, cursor } as never, alice),
  },
  "list: limit": {
    field: ["limit"],
    values: fc.oneof(anyOrWrong, fc.integer({ min: 1001 })),
    invalid: (value) =>
      value !== undefined &&
      !(typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1000),
    run: (tokens, limit) => tokens.list({ owner: aliceOwner, limit } as never, alice),
  },
  "setPolicy: expiryRequired": {
    field: ["expiryRequired"],
    values: anyOrWrong,
    invalid: (value) => typeof value !== "boolean",
    run: (tokens, expiryRequired) => tokens.setPolicy({ expiryRequired } as never, root),
  },
  "setPolicy: maxExpiryDays": {
    field: ["maxExpiryDays"],
    values: anyOrWrong,
    invalid: (value) => !isValidDays(value),
    run: (tokens, maxExpiryDays) =>
      tokens.setPolicy({ expiryRequired: true, maxExpiryDays } as never, root),
  },
  "setPolicy: maxTokensPerOwner": {
    field: ["maxTokensPerOwner"],
    values: fc.oneof(anyOrWrong, fc.integer({ min: 1_000_001 })),
    invalid: (value) =>
      !(
        value === undefined ||
        value === null ||
        (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1_000_000)
      ),
    run: (tokens, maxTokensPerOwner) =>
      tokens.setPolicy({ expiryRequired: false, maxTokensPerOwner } as never, root),
  },
  "setPolicy: actor": {
    field: ["actor"],
    values: anyOrWrong,
    invalid: (value) => !isValidActor(value),
    run: (tokens, actor) => tokens.setPolicy({ expiryRequired: true }, actor as never),
  },
  "purge: before": {
    field: ["before"],
    values: fc.oneof(anyValue(), fc.constant(new Date(Number.NaN))),
    invalid: (value) =>
      value !== undefined && !(value instanceof Date && !Number.isNaN(value.getTime())),
    run: (tokens, before) => tokens.purge({ before } as never, root),
  },
  "verifyToken: requirement": {
    field: ["requirement"],
    values: fc.oneof(
      anyOrWrong,
      fc.record(
        {
          permission: fc.oneof(fc.constantFrom(...PERMISSIONS), anyValue()),
          projectId: fc.oneof(fc.constant("P"), wrongString, anyValue()),
          repositoryId: fc.oneof(fc.constant("R1"), wrongString, anyValue()),
        },
        { requiredKeys: [] },
      ),
    ),
    invalid: (value) => {
      if (value === undefined || value === null) return false;
      if (typeof value !== "object") return true;
      const { permission, projectId, repositoryId } = value as Record<string, unknown>;
      // Not stored, only handed to the host: any string of 1 to 255 UTF-16 units.
      const isId = (id: unknown) => typeof id === "string" && id.length >= 1 && id.length <= 255;
      return !(
        (PERMISSIONS as readonly unknown[]).includes(permission) &&
        isId(projectId) &&
        (repositoryId === undefined || isId(repositoryId))
      );
    },
    run: (tokens, requirement, target) => tokens.verifyToken(target, requirement as never),
  },
};

/** A service with one token of alice's (the target of edits) and one of project P. */
async function populated() {
  const store: TokenStore = createMemoryStore();
  const harness = createHarness({ store });
  const created = await harness.tokens.create(
    { owner: aliceOwner, name: "target", permissions: ["REPO_READ"] },
    alice,
  );
  await harness.tokens.create({ owner: projectP, name: "p", permissions: ["REPO_READ"] }, alice);
  // verifyToken's requirement case verifies this token; other cases take its id.
  return { ...harness, store, id: created.token.id, secret: created.secret };
}

describe("management inputs with arbitrary values", () => {
  for (const [name, input] of Object.entries(CASES)) {
    it(
      `${name}: a ValidationError naming the field, and the store unchanged`,
      async () => {
        const { tokens, store, events, id, secret } = await populated();
        const target = name.startsWith("verifyToken") ? secret : id;
        await fc.assert(
          fc.asyncProperty(input.values, async (value) => {
            fc.pre(input.invalid(value));
            const before = await snapshotStore(store);
            const eventsBefore = events.length;
            const error = await input.run(tokens, value, target).then(
              () => null,
              (caught: unknown) => caught,
            );
            expect(error).toBeInstanceOf(ValidationError);
            const issues = (error as ValidationError).issues;
            expect(issues.length).toBeGreaterThan(0);
            for (const issue of issues)
              expect(issue.path.slice(0, input.field.length)).toEqual(input.field);
            if (typeof value === "string" && value.length >= 8)
              expect((error as Error).message).not.toContain(value);
            expect(await snapshotStore(store)).toBe(before);
            expect(events.length).toBe(eventsBefore);
          }),
          { numRuns: FUZZ_RUNS },
        );
      },
      fuzzTimeout(),
    );
  }
});

describe("whole management inputs with arbitrary values", () => {
  const calls: Record<string, Run> = {
    create: (tokens, value) => tokens.create(value as never, alice),
    update: (tokens, value, target) => tokens.update(target, value as never, alice),
    list: (tokens, value) => tokens.list(value as never, alice),
    setPolicy: (tokens, value) => tokens.setPolicy(value as never, root),
  };
  for (const [name, run] of Object.entries(calls)) {
    it(
      `${name}: anything at all gives a typed error (never a TypeError) and changes nothing`,
      async () => {
        const { tokens, store, id } = await populated();
        await fc.assert(
          fc.asyncProperty(anyValue(), async (value) => {
            const before = await snapshotStore(store);
            const outcome = await run(tokens, value, id).then(
              () => "resolved" as const,
              (caught: unknown) => caught,
            );
            // `list` may legitimately answer for an empty or owner-less query.
            if (outcome === "resolved") expect(name).toBe("list");
            else expect(outcome).toBeInstanceOf(PatkitError);
            expect(await snapshotStore(store)).toBe(before);
          }),
          { numRuns: FUZZ_RUNS },
        );
      },
      fuzzTimeout(),
    );
  }
});

describe("what the fuzzed oracles accept is accepted (so the suites above test something)", () => {
  it("valid values of each field pass validation", async () => {
    const { tokens, id } = await populated();
    const permissions: Permission[] = ["PROJECT_WRITE", "REPO_ADMIN"];
    expect(isValidPermissionSet(permissions, "user")).toBe(true);
    await expect(
      tokens.create({ ...base, name: "  spaced  ", permissions, expiryDays: 36_500 }, alice),
    ).resolves.toMatchObject({ token: { name: "spaced" } });
    await expect(tokens.update(id, { expiryDays: 1 }, alice)).resolves.toMatchObject({
      status: "active",
    });
    const page = await tokens.list({ owner: aliceOwner, limit: 1 }, alice);
    expect(isValidCursor(page.nextCursor)).toBe(true);
    await expect(
      tokens.list({ owner: aliceOwner, cursor: page.nextCursor }, alice),
    ).resolves.toMatchObject({ items: [expect.anything()] });
  });
});

const targets = useStoreTargets("inputs");

/** Any text the API accepts: every code point outside the control characters, emoji, accents. */
const acceptedText = fc
  .string({
    unit: fc
      .oneof(fc.constant("binary" as const), fc.constant("grapheme-composite" as const))
      .chain((unit) => fc.string({ unit, minLength: 1, maxLength: 1 })),
    minLength: 1,
    maxLength: 40,
  })
  .filter((text) => isValidName(text) && isHostId(text) && text.trim() === text);

for (const target of targets) {
  describe(`accepted input round-trips through the ${target.name} unchanged`, () => {
    it(
      "names and host ids come back exactly as given, and a refused one changes nothing",
      async () => {
        const opened = await target.open();
        try {
          const { tokens, host } = createHarness({ store: opened.store });
          await fc.assert(
            fc.asyncProperty(
              acceptedText,
              acceptedText,
              acceptedText,
              async (name, userId, projectId) => {
                const actor = { userId };
                const personal = await tokens.create(
                  { owner: { kind: "user", userId }, name, permissions: ["REPO_READ"] },
                  actor,
                );
                expect(await tokens.get(personal.token.id, actor)).toMatchObject({
                  name,
                  owner: { kind: "user", userId },
                  createdBy: userId,
                });
                const verified = await tokens.verifyToken(personal.secret);
                expect(verified).toMatchObject({ ok: true, principal: { userId } });
                host.grantProject("alice", projectId, "ADMIN");
                const project = await tokens.create(
                  { owner: { kind: "project", projectId }, name, permissions: ["REPO_READ"] },
                  alice,
                );
                const page = await tokens.list({ owner: { kind: "project", projectId } }, alice);
                expect(page.items.map((item) => item.id)).toContain(project.token.id);
                expect(
                  page.items.every(
                    (item) => item.owner.kind === "project" && item.owner.projectId === projectId,
                  ),
                ).toBe(true);
              },
            ),
            { numRuns: target.kind === "memory" ? fuzzRuns(0.5) : fuzzRuns(0.1) },
          );
        } finally {
          await opened.close();
        }
      },
      fuzzTimeout(60_000),
    );
  });
}
