import fc from "fast-check";
import { createBitbucketApi } from "patkit/bitbucket";
import { createMemoryStore } from "patkit/memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BitbucketServer,
  basic,
  onlyError,
  startBitbucketServer,
} from "../adapters/bitbucket/server.js";
import { hostileString } from "../support/arbitraries.js";
import { faultyStore } from "../support/faulty-store.js";
import { FUZZ_RUNS, fuzzTimeout } from "../support/fuzz.js";
import { createHarness } from "../support/host.js";
import { findLeaks, renderings, secretNeedles } from "../support/secrets.js";

const METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;

/** Path segments a hostile client sends: encodings, dots, separators, NUL, long runs. */
function segment(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("alice", "PRJ", "alpha", "repos", "users", "projects", "rotate", ...ids),
    fc.constantFrom("..", ".", "%2e%2e", "%2F", "%00", "%", "%E0%A4%A", "a%2Fb", "~", ";", "%5C"),
    hostileString().map((text) => encodeURIComponent(text)),
    fc.string({ maxLength: 30 }).map((text) => text.replaceAll("/", "").replaceAll("?", "")),
    fc.integer({ min: 256, max: 10_000 }).map((n) => "x".repeat(n)),
  );
}

function query(): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom("-1", "0", "1.5", "1e3", "0x10", "", "NaN", "99999999999999999999", " 1"),
    fc.integer().map(String),
    hostileString().map(encodeURIComponent),
  );
  return fc.oneof(
    fc.constant(""),
    fc.tuple(fc.constantFrom("start", "limit", "x"), value).map(([k, v]) => `?${k}=${v}`),
  );
}

function body(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.json(),
    fc.string({ maxLength: 200 }),
    fc
      .record(
        {
          name: fc.oneof(hostileString(), fc.anything()),
          permissions: fc.oneof(
            fc.array(fc.constantFrom("REPO_READ", "PROJECT_ADMIN", "REPO_ADMIN", "SYS_ADMIN")),
            fc.anything(),
          ),
          expiryDays: fc.oneof(fc.integer(), fc.double(), fc.anything()),
          extra: fc.anything(),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.integer({ min: 9_000, max: 40_000 }).map((n) => `{"name":"${"n".repeat(n)}"}`),
  );
}

describe("patkit/bitbucket on hostile requests", () => {
  let api: BitbucketServer;
  let secret: string;
  let ids: string[];
  const logged: unknown[] = [];
  beforeAll(async () => {
    api = await startBitbucketServer(createMemoryStore());
    const alice = api.client(basic("alice"));
    const created = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
      params: { path: { userSlug: "alice" } },
      body: { name: "kept", permissions: ["REPO_READ"] },
    });
    secret = created.data?.token as string;
    ids = [created.data?.id as string];
  });
  afterAll(async () => {
    await api.close();
  });

  /**
   * Sends one fuzzed request, keeps the answer's text for the leak check at the end, and asserts
   * what holds for every answer: never a 500, never a stack trace.
   */
  async function send(
    path: string,
    method: string,
    type: string,
    authorization: string,
    text: string | undefined,
  ) {
    const headers: Record<string, string> = {};
    if (type) headers["content-type"] = type;
    if (authorization) headers.authorization = authorization;
    // fetch refuses a body on GET and HEAD.
    const withBody = text !== undefined && method !== "GET" && method !== "HEAD";
    const answer = await api.fetch(path, { method, headers, ...(withBody && { body: text }) });
    const answerText = await answer.text();
    logged.push(answerText);
    expect(answer.status, path.slice(0, 100)).toBeLessThan(500);
    expect(answerText).not.toMatch(/\n\s+at |node:internal|\.ts:\d/);
    return { answer, answerText };
  }

  it(
    "answers every request in Bitbucket's shape, never 500, never a stack, hash or secret",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          fc.array(segment(ids), { minLength: 0, maxLength: 6 }),
          query(),
          body(),
          fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
          fc.constantFrom(basic("alice"), basic("carol"), `Bearer ${secret}`, ""),
          fc.constantFrom("latest", "1.0", "patkit"),
          async (method, segments, search, text, type, authorization, version) => {
            const path = `/rest/access-tokens/${version}/${segments.join("/")}${search}`;
            const { answer, answerText } = await send(path, method, type, authorization, text);
            // 431: Node refuses a request line and headers over 16 KiB before any handler runs.
            // Dot segments can lead out of the API (URL normalization): the host's 404 then.
            const owned = /^\/rest\/access-tokens\/(latest|1\.0|patkit)\//.test(
              new URL(path, api.url).pathname,
            );
            if (!owned) expect([404, 431]).toContain(answer.status);
            else if (answer.status >= 400 && answer.status !== 431 && method !== "HEAD") {
              onlyError(JSON.parse(answerText));
            }
            if (
              answer.status === 200 &&
              method === "PUT" &&
              /users\/alice$/.test(path.split("?")[0] ?? "")
            ) {
              // A token created by the fuzz: its own secret is the one thing it may show.
              return;
            }
            expect(answerText).not.toContain(secret);
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
      const record = await api.harness.store.findById(ids[0] as string);
      const needles = secretNeedles(secret, record?.secretHash);
      expect(findLeaks(needles, [...logged, ...api.reported])).toEqual([]);
      expect(api.reported).toEqual([]);
    },
    fuzzTimeout(),
  );

  it(
    "rotate extension: hostile owners, ids, bodies and credentials get Bitbucket-shaped 4xx; only alice's own rotation shows a secret, the new one",
    async () => {
      const rotateBody = fc.oneof(
        fc.constant(undefined),
        fc.json(),
        fc.string({ maxLength: 100 }),
        fc
          .record(
            {
              expiryDays: fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.anything()),
              graceSeconds: fc.oneof(
                fc.integer({ min: -10, max: 700_000 }),
                fc.double(),
                fc.anything(),
              ),
              name: fc.anything(),
            },
            { requiredKeys: [] },
          )
          .map((value) => JSON.stringify(value)),
        fc.integer({ min: 17_000, max: 40_000 }).map((n) => `{"graceSeconds":${"1".repeat(n)}}`),
      );
      const owners = fc.constantFrom(
        "users/alice",
        "users/bob",
        "users/nobody",
        "projects/PRJ",
        "projects/PRJ/repos/alpha",
        "projects/NOPE/repos/alpha",
        "users/..",
        "users/%00",
      );
      await fc.assert(
        fc.asyncProperty(
          owners,
          fc.oneof(fc.constant("fresh"), segment(ids)),
          rotateBody,
          fc.constantFrom("application/json", "text/plain", ""),
          fc.constantFrom(basic("alice"), basic("root"), basic("carol"), `Bearer ${secret}`, ""),
          fc.constantFrom("POST", "POST", "GET", "PUT"),
          async (owner, id, text, type, authorization, method) => {
            // A fresh token of alice each run, so a valid rotation can succeed.
            const fresh = await api.harness.tokens.create(
              {
                owner: { kind: "user", userId: "alice" },
                name: "fuzzed",
                permissions: ["REPO_READ"],
              },
              { userId: "alice" },
            );
            const tokenId = id === "fresh" ? fresh.token.id : id;
            const path = `/rest/access-tokens/patkit/${owner}/${tokenId}/rotate`;
            const { answer, answerText } = await send(path, method, type, authorization, text);
            expect(answerText).not.toContain(secret);
            expect(answerText).not.toContain(fresh.secret);
            if (answer.status === 200) {
              // Only alice, signed in, on her own token's path, by POST.
              expect([owner, authorization, method]).toEqual([
                "users/alice",
                basic("alice"),
                "POST",
              ]);
              const rotated = JSON.parse(answerText) as { token: string; previous: { id: string } };
              expect((await api.harness.tokens.verifyToken(rotated.token)).ok).toBe(true);
              expect(rotated.previous.id).toBe(tokenId);
            } else if (
              answer.status !== 431 &&
              new URL(path, api.url).pathname.includes("/patkit/")
            ) {
              onlyError(JSON.parse(answerText));
            }
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
      expect(api.reported).toEqual([]);
    },
    fuzzTimeout(),
  );

  it("answers 503 when the store is down and 500 without details when a resolver throws", async () => {
    const faulty = faultyStore(createMemoryStore());
    const harness = createHarness({ store: faulty.store });
    const reported: unknown[] = [];
    const handle = createBitbucketApi({
      tokens: harness.tokens,
      authenticate: () => ({ userId: "alice", via: "session" }),
      resolveUser: (slug) => {
        if (slug === "boom") throw new Error("directory at db.internal:5432 is down");
        return slug === "alice" ? "alice" : null;
      },
      resolveProject: () => null,
      resolveRepository: () => null,
      onError: (error) => reported.push(error),
    });
    faulty.failAll();
    const down = await handle(new Request("http://h/rest/access-tokens/latest/users/alice"));
    expect(down?.status).toBe(503);
    const downBody = await down?.json();
    expect(onlyError(downBody).exceptionName).toMatch(/Unavailable/);
    faulty.heal();
    const broken = await handle(new Request("http://h/rest/access-tokens/latest/users/boom"));
    expect(broken?.status).toBe(500);
    const text = (await broken?.text()) ?? "";
    expect(text).not.toContain("db.internal");
    onlyError(JSON.parse(text));
    expect(reported).toHaveLength(1);
    expect(renderings(reported[0]).join(" ")).toContain("db.internal");
  });
});
