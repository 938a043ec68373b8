import fc from "fast-check";
import {
  createAccessTokens,
  createManualClock,
  hasValidChecksum,
  type Owner,
  PERMISSIONS,
  type Permission,
  type Requirement,
  tokenPattern,
} from "patkit";
import { createMemoryStore } from "patkit/memory";
import { describe, expect, it } from "vitest";
// Internal on purpose: these laws are about the token format module itself.
import { generateToken, parseToken } from "../../src/core/token-format.js";
import { base62 } from "../support/arbitraries.js";
import { FUZZ_RUNS, fuzzRuns, fuzzTimeout } from "../support/fuzz.js";
import { createHost, type Level } from "../support/host.js";
import { formatToken, ID_LENGTH, SECRET_LENGTH, tokenParts } from "../support/token-strings.js";

const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);

describe("law: a token string round-trips through format and parse", () => {
  it(
    "any prefix, id and secret, formatted by the documented layout, parse back to their parts",
    () => {
      fc.assert(
        fc.property(prefixes, base62(ID_LENGTH), base62(SECRET_LENGTH), (prefix, id, secret) => {
          const token = formatToken(prefix, id, secret);
          const parsed = parseToken(token, prefix);
          expect(parsed).not.toBeNull();
          expect(parsed?.id).toBe(id);
          const start = parsed?.secretStart ?? -1;
          expect(token.slice(start, start + SECRET_LENGTH)).toBe(secret);
          expect(hasValidChecksum(token.slice(prefix.length + 1))).toBe(true);
          expect(token.match(tokenPattern(prefix))).toEqual([token]);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "generated tokens are exactly the documented layout around a fresh id and secret",
    () => {
      fc.assert(
        fc.property(prefixes, (prefix) => {
          const generated = generateToken(prefix);
          const { id, secret } = tokenParts(generated.token, prefix);
          expect(generated.id).toBe(id);
          expect(secret).toMatch(/^[0-9A-Za-z]{43}$/);
          expect(formatToken(prefix, id, secret)).toBe(generated.token);
          expect(parseToken(generated.token, prefix)).toEqual({
            id,
            secretStart: generated.secretStart,
          });
          // Another prefix never parses it: the prefix is part of what is checked.
          expect(parseToken(generated.token, `${prefix}x`)).toBeNull();
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "the scanner pattern finds tokens in surrounding text, and the checksum confirms only real ones",
    () => {
      fc.assert(
        fc.property(
          prefixes,
          base62(ID_LENGTH),
          base62(SECRET_LENGTH),
          fc.constantFrom("", " ", "token=", '"', "Authorization: Bearer ", "\n"),
          fc.constantFrom("", " ", "&next=1", '"', ".", "\n"),
          fc.nat(),
          (prefix, id, secret, before, after, position) => {
            const token = formatToken(prefix, id, secret);
            const text = `${before}${token}${after}`;
            expect(text.match(tokenPattern(prefix))).toEqual([token]);
            // A copy damaged in one body character still matches the shape, but not the checksum.
            const at = prefix.length + 1 + (position % 65);
            const original = token[at] as string;
            const replacement = original === "A" ? "B" : "A";
            const damaged = token.slice(0, at) + replacement + token.slice(at + 1);
            expect(damaged.match(tokenPattern(prefix))).toEqual([damaged]);
            expect(hasValidChecksum(damaged.slice(prefix.length + 1))).toBe(false);
            // Glued to a word character, it is part of another word: no match.
            expect(`x${token}`.match(tokenPattern(prefix))).toBeNull();
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );
});

const RANK: Record<string, number> = { READ: 1, WRITE: 2, ADMIN: 3 };
const rank = (permission: Permission) => RANK[permission.split("_")[1] as string] as number;

const PROJECTS = ["P", "Q"] as const;
const REPOSITORIES = ["R1", "R2"] as const;
const levels = fc.constantFrom<Level | null>(null, "READ", "WRITE", "ADMIN");

/** A valid permission set for a token of this kind. */
function permissionSet(kind: Owner["kind"]): fc.Arbitrary<Permission[]> {
  const repository = fc.constantFrom<Permission>("REPO_READ", "REPO_WRITE", "REPO_ADMIN");
  if (kind === "repository") return repository.map((level) => [level]);
  return fc
    .tuple(
      fc.constantFrom<Permission | null>(null, "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN"),
      repository,
    )
    .map(([project, repo]) => (project && rank(project) <= rank(repo) ? [project, repo] : [repo]));
}

const owners: fc.Arbitrary<Owner> = fc.oneof(
  fc.constant<Owner>({ kind: "user", userId: "u" }),
  fc.constantFrom(...PROJECTS).map((projectId): Owner => ({ kind: "project", projectId })),
  fc
    .tuple(fc.constantFrom(...PROJECTS), fc.constantFrom(...REPOSITORIES))
    .map(([projectId, repositoryId]): Owner => ({ kind: "repository", projectId, repositoryId })),
);

const requirements: fc.Arbitrary<Requirement> = fc
  .tuple(
    fc.constantFrom(...PERMISSIONS),
    fc.constantFrom(...PROJECTS),
    fc.option(fc.constantFrom(...REPOSITORIES), { nil: undefined }),
  )
  .map(([permission, projectId, repositoryId]) =>
    repositoryId === undefined
      ? { permission, projectId }
      : { permission, projectId, repositoryId },
  );

/** The user's grants: a level (or none) per project and per repository. */
const grants = fc.record({
  projects: fc.tuple(levels, levels),
  repositories: fc.tuple(levels, levels, levels, levels),
});

describe("law: the effective permission is never above the token's level or its user's", () => {
  it(
    "verify grants exactly when the owner reaches the resource, the token's level suffices, and (personal tokens) the user's permission does",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          owners.chain((owner) => fc.tuple(fc.constant(owner), permissionSet(owner.kind))),
          grants,
          requirements,
          async ([owner, permissions], userGrants, requirement) => {
            const host = createHost();
            for (const projectId of PROJECTS) host.grantProject("admin", projectId, "ADMIN");
            const tokens = createAccessTokens({
              store: createMemoryStore(),
              clock: createManualClock(),
              access: host.access,
            });
            const creator = owner.kind === "user" ? { userId: "u" } : { userId: "admin" };
            const { secret } = await tokens.create({ owner, name: "t", permissions }, creator);
            // The user's grants are set after creation: the host is asked at verify time.
            userGrants.projects.forEach((level, i) => {
              if (level) host.grantProject("u", PROJECTS[i % 2] as string, level);
            });
            userGrants.repositories.forEach((level, i) => {
              if (level)
                host.grantRepository(
                  "u",
                  PROJECTS[i >> 1] as string,
                  REPOSITORIES[i % 2] as string,
                  level,
                );
            });

            const result = await tokens.verifyToken(secret, requirement);

            const reaches =
              owner.kind === "user" ||
              (owner.projectId === requirement.projectId &&
                (owner.kind === "project" || owner.repositoryId === requirement.repositoryId));
            const scope = requirement.permission.startsWith("PROJECT_") ? "PROJECT_" : "REPO_";
            const held = permissions.find((permission) => permission.startsWith(scope));
            const tokenSuffices = held !== undefined && rank(held) >= rank(requirement.permission);
            const userSuffices =
              owner.kind !== "user" ||
              host.access.hasPermission("u", requirement.permission, {
                projectId: requirement.projectId,
                ...(requirement.repositoryId !== undefined && {
                  repositoryId: requirement.repositoryId,
                }),
              }) === true;

            expect(result.ok).toBe(reaches && tokenSuffices && userSuffices);
            if (!result.ok) expect(result.reason).toBe("insufficient_permission");
          },
        ),
        { numRuns: fuzzRuns(1) },
      );
    },
    fuzzTimeout(),
  );
});
