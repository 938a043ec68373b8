import { createBitbucketServerClient } from "@coderabbitai/bitbucket/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MANAGEMENT_PREFIX, POLICY_PATH } from "../../examples/git-server/bitbucket-api.js";
import type { Credentials } from "../../examples/git-server/demo-client.js";
import { isAuthenticationFailure } from "../../examples/git-server/demo-client.js";
import { DEMO_PASSWORD } from "../../examples/git-server/sessions.js";
import { type FaultyStore, faultyStore } from "../support/faulty-store.js";
import { type E2e, startE2e } from "./harness.js";

// Bitbucket's access-token REST API of the demo server (patkit/bitbucket), over real HTTP,
// with the tokens it creates used by the real git against the demo's Git server.
let e2e: E2e;
let faulty: FaultyStore;
beforeAll(async () => {
  e2e = await startE2e({
    wrap: (store) => {
      faulty = faultyStore(store);
      return faulty.store;
    },
  });
});
afterAll(async () => {
  await e2e?.close();
});
afterEach(() => {
  faulty.heal();
});

const api = (method: string, path: string, who: Credentials, body?: unknown) =>
  e2e.client.api(
    method,
    path.startsWith("/rest/") ? path : `${MANAGEMENT_PREFIX}${path}`,
    who,
    body,
  );

/** The Bitbucket client of `@coderabbitai/bitbucket`, signed in as `user` with the demo password. */
function bitbucketClient(user: string) {
  const credentials = Buffer.from(`${user}:${DEMO_PASSWORD}`).toString("base64");
  return createBitbucketServerClient({
    baseUrl: `${e2e.server.url}/rest`,
    headers: { authorization: `Basic ${credentials}` },
  });
}

function expectError(
  response: { status: number; headers: Headers; body: unknown },
  status: number,
  exception: RegExp,
) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.body).toEqual({
    errors: [
      expect.objectContaining({
        message: expect.any(String),
        exceptionName: expect.stringMatching(exception),
      }),
    ],
  });
}

describe("signed-in users manage tokens with a Bitbucket client", () => {
  it("creates a token whose secret clones, reads, renames and deletes it; then it clones nothing", async () => {
    const alice = bitbucketClient("alice");
    const created = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
      params: { path: { userSlug: "alice" } },
      body: { name: "laptop", permissions: ["REPO_READ"], expiryDays: 30 },
    });
    expect(created.response.status).toBe(200);
    expect(created.data).toMatchObject({ name: "laptop", permissions: ["REPO_READ"] });
    expect(created.data?.token).toMatch(/^pat_[0-9A-Za-z]{65}$/);
    expect((created.data as { user?: unknown }).user).toMatchObject({ slug: "alice" });
    const id = created.data?.id as string;
    const secret = created.data?.token as string;

    const url = e2e.server.cloneUrl(e2e.server.cast.alpha, { username: "alice", password: secret });
    const clone = await e2e.client.clone(url, "alpha-through-bitbucket-api");
    expect(clone.code, clone.stderr).toBe(0);
    expect(
      (await e2e.client.lsRemote(e2e.server.cloneUrl(e2e.server.cast.alpha), secret)).code,
    ).toBe(0);

    const read = await alice.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
      params: { path: { userSlug: "alice", tokenId: id } },
    });
    expect(read.data?.id).toBe(id);
    expect(JSON.stringify(read.data)).not.toContain(secret);

    const renamed = await alice.POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
      params: { path: { userSlug: "alice", tokenId: id } },
      body: { name: "old laptop" },
    });
    expect(renamed.data).toMatchObject({ id, name: "old laptop", permissions: ["REPO_READ"] });

    const deleted = await alice.DELETE("/access-tokens/latest/users/{userSlug}/{tokenId}", {
      params: { path: { userSlug: "alice", tokenId: id } },
    });
    expect(deleted.response.status).toBe(204);
    const listed = await alice.GET("/access-tokens/latest/users/{userSlug}", {
      params: { path: { userSlug: "alice" } },
    });
    expect(listed.data?.values?.some((token) => token.id === id)).toBe(false);
    expect(JSON.stringify(listed.data)).not.toContain(secret);
    const gone = await api("GET", `/users/alice/${id}`, { session: "alice" });
    expectError(gone, 404, /NoSuch/);
    expect(isAuthenticationFailure(await e2e.client.lsRemote(url))).toBe(true);
  });

  it("pages through a listing with start and limit, oldest first", async () => {
    // Listings run oldest first; the server's clock stands still unless moved.
    for (const name of ["one", "two", "three"]) {
      e2e.clock.advance(1000);
      await e2e.client.createToken("/projects/OPS", "carol", { name, permissions: ["REPO_READ"] });
    }
    const first = await api("GET", "/projects/OPS?limit=2", { session: "carol" });
    expect(first.body).toMatchObject({
      size: 2,
      limit: 2,
      isLastPage: false,
      start: 0,
      nextPageStart: 2,
    });
    const second = await api("GET", `/projects/OPS?limit=2&start=${first.body.nextPageStart}`, {
      session: "carol",
    });
    expect(second.body).toMatchObject({ size: 1, isLastPage: true, start: 2 });
    expect(second.body).not.toHaveProperty("nextPageStart");
    const names = [...first.body.values, ...second.body.values].map(
      (token: { name: string }) => token.name,
    );
    expect(names).toEqual(["one", "two", "three"]);
  });

  it("refuses every call made with a token (401), reads included, as Bitbucket does", async () => {
    const personal = await e2e.client.createToken("/users/alice", "alice", {
      name: "alice cli",
      permissions: ["REPO_READ"],
    });
    const project = await e2e.client.createToken("/projects/PRJ", "alice", {
      name: "prj ci",
      permissions: ["REPO_READ"],
    });
    const asToken: Credentials[] = [
      { bearer: personal.secret },
      { basic: { username: "alice", password: personal.secret } },
      { bearer: project.secret },
    ];
    for (const who of asToken) {
      expectError(await api("GET", "/users/alice", who), 401, /AuthorisationException/);
      expectError(
        await api("PUT", "/users/alice", who, { name: "minted", permissions: ["REPO_READ"] }),
        401,
        /AuthorisationException/,
      );
      expectError(
        await api("POST", `/users/alice/${personal.id}`, who, { name: "renamed" }),
        401,
        /AuthorisationException/,
      );
      expectError(await api("DELETE", `/projects/PRJ/${project.id}`, who), 401, /Authorisation/);
    }
    const still = await api("GET", `/users/alice/${personal.id}`, { session: "alice" });
    expect(still.body.name).toBe("alice cli");
  });

  it("refuses an admin creating a token for another user, and project tokens from non-admins (401)", async () => {
    expectError(
      await api(
        "PUT",
        "/users/alice",
        { session: "carol" },
        { name: "for alice", permissions: ["REPO_READ"] },
      ),
      401,
      /AuthorisationException/,
    );
    expectError(
      await api(
        "PUT",
        "/projects/PRJ",
        { session: "bob" },
        { name: "bob's", permissions: ["REPO_READ"] },
      ),
      401,
      /AuthorisationException/,
    );
  });

  it("refuses a change to a set expiry (400), and gives an expiry only once", async () => {
    const dated = await e2e.client.createToken("/users/alice", "alice", {
      name: "dated",
      permissions: ["REPO_READ"],
      expiryDays: 7,
    });
    expectError(
      await api("POST", `/users/alice/${dated.id}`, { session: "alice" }, { expiryDays: 30 }),
      400,
      /Expiry/,
    );
    const open = await e2e.client.createToken("/users/alice", "alice", {
      name: "open",
      permissions: ["REPO_READ"],
    });
    expect(open.expiryDate).toBeNull();
    const first = await api(
      "POST",
      `/users/alice/${open.id}`,
      { session: "alice" },
      { expiryDays: 3 },
    );
    expect(first.status).toBe(200);
    expect(first.body.expiryDate).toEqual(expect.any(Number));
    expectError(
      await api("POST", `/users/alice/${open.id}`, { session: "alice" }, { expiryDays: 3 }),
      400,
      /Expiry/,
    );
    const read = await api("GET", `/users/alice/${open.id}`, { session: "alice" });
    expect(read.body.expiryDate).toBe(first.body.expiryDate);
  });
});

describe("errors in Bitbucket's shape", () => {
  it("400 names the field in `context`, and bad JSON is a 400 too", async () => {
    const invalid = await api(
      "PUT",
      "/users/alice",
      { session: "alice" },
      { name: "", permissions: ["ROOT"] },
    );
    expect(invalid.status).toBe(400);
    const contexts = invalid.body.errors.map((error: { context: string }) => error.context);
    expect(contexts).toEqual(expect.arrayContaining(["name"]));
    const response = await fetch(`${e2e.server.url}${MANAGEMENT_PREFIX}/users/alice`, {
      method: "PUT",
      headers: {
        Authorization: `Basic ${Buffer.from(`alice:${DEMO_PASSWORD}`).toString("base64")}`,
        "Content-Type": "application/json",
      },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].exceptionName).toMatch(/Validation/);
  });

  it("404 for an unknown token, one under another owner's path, and an unknown user", async () => {
    expectError(
      await api("GET", "/users/alice/AAAAAAAAAAAAAAAA", { session: "alice" }),
      404,
      /NoSuch/,
    );
    const project = await e2e.client.createToken("/projects/PRJ", "alice", {
      name: "p",
      permissions: ["REPO_READ"],
    });
    expectError(
      await api("GET", `/users/alice/${project.id}`, { session: "alice" }),
      404,
      /NoSuch/,
    );
    expectError(await api("GET", "/users/nobody", { session: "alice" }), 404, /NoSuchUser/);
  });

  it("400 for a policy violation and a reached limit, under a policy only system admins set", async () => {
    expectError(
      await api("PUT", POLICY_PATH, { session: "alice" }, { expiryRequired: true }),
      401,
      /AuthorisationException/,
    );
    const strict = await api(
      "PUT",
      POLICY_PATH,
      { session: "carol" },
      { expiryRequired: true, maxExpiryDays: 30, maxTokensPerOwner: 1 },
    );
    expect(strict.status).toBe(200);
    try {
      const body = (name: string, expiryDays?: number) => ({
        name,
        permissions: ["REPO_READ"],
        ...(expiryDays === undefined ? {} : { expiryDays }),
      });
      const infra = "/projects/OPS/repos/infra";
      expectError(await api("PUT", infra, { session: "carol" }, body("x")), 400, /Policy/);
      expectError(await api("PUT", infra, { session: "carol" }, body("x", 31)), 400, /Policy/);
      expect((await api("PUT", infra, { session: "carol" }, body("first", 30))).status).toBe(200);
      expectError(await api("PUT", infra, { session: "carol" }, body("second", 30)), 400, /Limit/);
      expect((await api("GET", POLICY_PATH, { session: "bob" })).body).toMatchObject({
        expiryRequired: true,
        maxExpiryDays: 30,
        maxTokensPerOwner: 1,
      });
    } finally {
      await api("PUT", POLICY_PATH, { session: "carol" }, { expiryRequired: false });
    }
  });

  it("401 without a sign-in or for an inactive user; the demo password opens nothing but management", async () => {
    expectError(await api("GET", "/users/alice", null), 401, /AuthorisationException/);
    const wrong = await api("GET", "/users/alice", {
      basic: { username: "alice", password: "wrong" },
    });
    expectError(wrong, 401, /AuthorisationException/);
    expectError(
      await api("GET", "/users/dave", { session: "dave" }),
      401,
      /AuthorisationException/,
    );
    const url = e2e.server.cloneUrl(e2e.server.cast.alpha, {
      username: "alice",
      password: DEMO_PASSWORD,
    });
    expect(isAuthenticationFailure(await e2e.client.lsRemote(url))).toBe(true);
  });

  it("503 when the store is down, for the API and for git alike", async () => {
    const token = await e2e.client.createToken("/users/alice", "alice", {
      name: "n",
      permissions: ["REPO_READ"],
    });
    faulty.failAll();
    expectError(await api("GET", "/users/alice", { session: "alice" }), 503, /Unavailable/);
    const run = await e2e.client.lsRemote(e2e.server.cloneUrl(e2e.server.cast.alpha), token.secret);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("returned error: 503");
    faulty.heal();
    expect(
      (await e2e.client.lsRemote(e2e.server.cloneUrl(e2e.server.cast.alpha), token.secret)).code,
    ).toBe(0);
  });
});
