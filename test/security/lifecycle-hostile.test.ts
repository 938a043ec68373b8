import fc from "fast-check";
import { PatkitError, ValidationError } from "patkit";
import { createSecretScanningHandler } from "patkit/http";
import { beforeAll, describe, expect, it } from "vitest";
import { anyValue, hostileString, nearMiss, unissuedToken } from "../support/arbitraries.js";
import { FUZZ_RUNS, fuzzRuns, fuzzTimeout } from "../support/fuzz.js";
import { createSigner, type Signer } from "../support/github-signer.js";
import { alice, aliceOwner, createHarness, root } from "../support/host.js";
import { snapshotStore } from "../support/snapshot.js";
import { withOtherSecret } from "../support/token-strings.js";

const MAX_GRACE_SECONDS = 604_800;

async function populated() {
  const harness = createHarness();
  const live = await harness.tokens.create(
    { owner: aliceOwner, name: "live", permissions: ["REPO_READ"], expiryDays: 30 },
    alice,
  );
  const revoked = await harness.tokens.create(
    { owner: aliceOwner, name: "revoked", permissions: ["REPO_READ"] },
    alice,
  );
  await harness.tokens.revoke(revoked.token.id, alice);
  return { ...harness, live, revoked, secrets: [live.secret, revoked.secret] };
}

/** Strings that are no stored token's secret: near misses, forged secrets, junk. */
function notSecrets(secrets: readonly string[]): fc.Arbitrary<string> {
  // A near miss may come out equal to the token (a swap of two equal characters): not one.
  return fc
    .oneof(
      nearMiss(secrets),
      unissuedToken(),
      hostileString(),
      fc
        .constantFrom(...secrets)
        .chain((secret) =>
          fc
            .string({ unit: fc.constantFrom("A", "b", "7"), minLength: 43, maxLength: 43 })
            .map((other) => withOtherSecret(secret, other)),
        ),
    )
    .filter((text) => !secrets.includes(text));
}

describe("rotate with hostile input", () => {
  it(
    "a graceSeconds that is not a whole number of 0 to 604800: ValidationError, nothing changed",
    async () => {
      const { tokens, store, live, events } = await populated();
      await fc.assert(
        fc.asyncProperty(anyValue(), async (graceSeconds) => {
          const valid =
            graceSeconds === undefined ||
            (typeof graceSeconds === "number" &&
              Number.isInteger(graceSeconds) &&
              graceSeconds >= 0 &&
              graceSeconds <= MAX_GRACE_SECONDS);
          fc.pre(!valid);
          const before = await snapshotStore(store);
          const count = events.length;
          const error = await tokens
            .rotate(live.token.id, { graceSeconds } as never, alice)
            .catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(ValidationError);
          expect([...new Set((error as ValidationError).fields)]).toEqual(["graceSeconds"]);
          expect(await snapshotStore(store)).toBe(before);
          expect(events.length).toBe(count);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "anything as id, input or actor: a typed error or one rotation, never a TypeError",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({ id: anyValue(), input: anyValue(), actor: anyValue() }, { requiredKeys: [] }),
          async ({ id, input, actor }) => {
            const { tokens, store, live } = await populated();
            const before = await snapshotStore(store);
            const outcome = await tokens
              .rotate((id ?? live.token.id) as never, input as never, (actor ?? alice) as never)
              .then(
                () => "rotated" as const,
                (caught: unknown) => caught,
              );
            if (outcome !== "rotated") {
              expect(outcome).toBeInstanceOf(PatkitError);
              expect(await snapshotStore(store)).toBe(before);
            }
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
    },
    fuzzTimeout(),
  );
});

describe("inspect and revokeLeaked with hostile input", () => {
  it(
    "inspect: null for every string that is not a secret, ValidationError for non-strings",
    async () => {
      const { tokens, secrets, live } = await populated();
      expect((await tokens.inspect(live.secret, root))?.id).toBe(live.token.id);
      await fc.assert(
        fc.asyncProperty(fc.oneof(notSecrets(secrets), anyValue()), async (value) => {
          const outcome = await tokens.inspect(value as string, root).catch((e: unknown) => e);
          if (typeof value === "string") expect(outcome).toBeNull();
          else expect(outcome).toBeInstanceOf(ValidationError);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "revokeLeaked: strings that are no secret match nothing and change nothing",
    async () => {
      const { tokens, store, secrets, events } = await populated();
      await fc.assert(
        fc.asyncProperty(fc.array(notSecrets(secrets), { maxLength: 20 }), async (strings) => {
          const before = await snapshotStore(store);
          const count = events.length;
          expect(await tokens.revokeLeaked(strings, { source: "fuzz" })).toEqual({
            matched: 0,
            revoked: 0,
          });
          expect(await snapshotStore(store)).toBe(before);
          expect(events.length).toBe(count);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );

  it(
    "revokeLeaked: anything at all gives a ValidationError or counts, never a TypeError",
    async () => {
      const { tokens, store } = await populated();
      await fc.assert(
        fc.asyncProperty(anyValue(), anyValue(), async (secrets, report) => {
          const before = await snapshotStore(store);
          const outcome = await tokens
            .revokeLeaked(secrets as never, report as never)
            .catch((caught: unknown) => caught);
          if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ValidationError);
          else expect(outcome).toEqual({ matched: 0, revoked: 0 });
          expect(await snapshotStore(store)).toBe(before);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    fuzzTimeout(),
  );
});

describe("the secret-scanning handler with hostile requests", () => {
  let signer: Signer;
  beforeAll(async () => {
    signer = await createSigner("key-1");
  });

  it(
    "unsigned or wrongly signed: 401 or 413, nothing revoked, no secret echoed",
    async () => {
      const { tokens, store, secrets } = await populated();
      const handler = createSecretScanningHandler({
        tokens,
        publicKeys: () => [signer.publicKey],
        maxBodyBytes: 4096,
      });
      const before = await snapshotStore(store);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string(), fc.uint8Array({ maxLength: 5000 })),
          fc.option(fc.oneof(fc.constant("key-1"), fc.string())),
          fc.option(fc.oneof(fc.base64String(), fc.string())),
          async (body, keyId, signature) => {
            const headers = new Headers();
            if (keyId !== null) headers.set("Github-Public-Key-Identifier", safe(keyId));
            if (signature !== null) headers.set("Github-Public-Key-Signature", safe(signature));
            const response = await handler(
              new Request("https://host.example/", {
                method: "POST",
                body: typeof body === "string" ? body : new Uint8Array(body),
                headers,
              }),
            );
            expect([401, 413]).toContain(response.status);
            const text = await response.text();
            for (const secret of secrets) expect(text).not.toContain(secret);
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
      expect(await snapshotStore(store)).toBe(before);
    },
    fuzzTimeout(),
  );

  it(
    "signed bodies of any shape: 400 unless an array of matches, then one label each",
    async () => {
      const { tokens } = await populated();
      const handler = createSecretScanningHandler({
        tokens,
        publicKeys: () => [signer.publicKey],
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc
              .array(
                fc.record({
                  token: fc.string(),
                  type: fc.string(),
                  url: fc.string(),
                  source: fc.string(),
                }),
                { maxLength: 5 },
              )
              .map((matches) => JSON.stringify(matches)),
          ),
          async (body) => {
            const response = await handler(
              new Request("https://host.example/", {
                method: "POST",
                body,
                headers: {
                  "Github-Public-Key-Identifier": "key-1",
                  "Github-Public-Key-Signature": await signer.sign(body),
                },
              }),
            );
            expect([200, 400]).toContain(response.status);
            if (response.status === 200) {
              const parsed = JSON.parse(body) as unknown[];
              const feedback = (await response.json()) as { label: string }[];
              expect(feedback).toHaveLength(parsed.length);
              for (const item of feedback) expect(item.label).toBe("false_positive");
            }
          },
        ),
        { numRuns: fuzzRuns(0.5) },
      );
    },
    fuzzTimeout(),
  );
});

/** Header values must be ByteStrings without line breaks; keep what a client could send. */
function safe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "");
}
