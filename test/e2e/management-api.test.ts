import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../examples/git-server/demo-client.js";
import { isAuthenticationFailure } from "../../examples/git-server/demo-client.js";
import { MANAGEMENT_PREFIX } from "../../examples/git-server/management-api.js";
import { type FaultyStore, faultyStore } from "../support/faulty-store.js";
import { type E2e, startE2e } from "./harness.js";

// The token management REST API of the demo server, over real HTTP.
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
  e2e.client.api(method, `${MANAGEMENT_PREFIX}${path}`, who, body);

function expectError(
  response: { status: number; headers: Headers; body: unknown },
  status: number,
  code: string,
) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(response.body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String) }),
  });
}

describe("signed-in users manage tokens", () => {
  it("creates a token, shows its secret once, then lists, reads, renames and revokes it", async () => {
    const created = await api(
      "PUT",
      "/users/alice",
      { session: "alice" },
      {
        name: "laptop",
        permissions: ["REPO_READ"],
        expiryDays: 30,
      },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "laptop",
      status: "active",
      owner: { kind: "user" },
    });
    expect(created.body.secret).toMatch(/^pat_[0-9A-Za-z]{65}$/);
    const { id, secret } = created.body;

    const read = await api("GET", `/users/alice/${id}`, { session: "alice" });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(id);
    expect(JSON.stringify(read.body)).not.toContain(secret);

    const renamed = await api(
      "POST",
      `/users/alice/${id}`,
      { session: "alice" },
      { name: "old laptop" },
    );
    expect(renamed.body).toMatchObject({ id, name: "old laptop" });

    const revoked = await api("DELETE", `/users/alice/${id}`, { session: "alice" });
    expect(revoked.body).toMatchObject({ id, status: "revoked" });
    const listed = await api("GET", "/users/alice", { session: "alice" });
    expect(listed.body.values.find((token: { id: string }) => token.id === id)?.status).toBe(
      "revoked",
    );
    expect(JSON.stringify(listed.body)).not.toContain(secret);
  });

  it("pages through a listing with limit and cursor", async () => {
    // Listings run oldest first; the server's clock stands still unless moved.
    for (const name of ["one", "two", "three"]) {
      e2e.clock.advance(1000);
      await e2e.client.createToken("/projects/OPS", "carol", { name, permissions: ["REPO_READ"] });
    }
    const first = await api("GET", "/projects/OPS?limit=2", { session: "carol" });
    expect(first.body).toMatchObject({ size: 2, limit: 2, isLastPage: false });
    const second = await api("GET", `/projects/OPS?limit=2&cursor=${first.body.nextCursor}`, {
      session: "carol",
    });
    expect(second.body).toMatchObject({ size: 1, isLastPage: true, nextCursor: null });
    const names = [...first.body.values, ...second.body.values].map(
      (token: { name: string }) => token.name,
    );
    expect(names).toEqual(["one", "two", "three"]);
  });

  it("lets a token read but never change tokens (403 for a token-authenticated actor)", async () => {
    const personal = await e2e.client.createToken("/users/alice", "alice", {
      name: "alice cli",
      permissions: ["REPO_READ"],
    });
    const asToken: Credentials[] = [
      { bearer: personal.secret },
      { basic: { username: "alice", password: personal.secret } },
    ];
    for (const who of asToken) {
      expect((await api("GET", "/users/alice", who)).status).toBe(200);
      expectError(
        await api("PUT", "/users/alice", who, { name: "minted", permissions: ["REPO_READ"] }),
        403,
        "FORBIDDEN",
      );
      expectError(
        await api("POST", `/users/alice/${personal.id}`, who, { name: "renamed" }),
        403,
        "FORBIDDEN",
      );
      expectError(await api("DELETE", `/users/alice/${personal.id}`, who), 403, "FORBIDDEN");
    }
    const project = await e2e.client.createToken("/projects/PRJ", "alice", {
      name: "PRJ ci",
      permissions: ["PROJECT_ADMIN", "REPO_ADMIN"],
    });
    expectError(await api("GET", "/projects/PRJ", { bearer: project.secret }), 403, "FORBIDDEN");
    expectError(
      await api(
        "PUT",
        "/projects/PRJ",
        { bearer: project.secret },
        { name: "x", permissions: ["REPO_READ"] },
      ),
      403,
      "FORBIDDEN",
    );
    // The token is still fine; only the management call was refused.
    expect(
      (await api("GET", `/users/alice/${personal.id}`, { session: "alice" })).body.status,
    ).toBe("active");
  });

  it("refuses an admin creating a token for another user (403)", async () => {
    const input = { name: "for someone else", permissions: ["REPO_READ"] };
    expectError(await api("PUT", "/users/alice", { session: "carol" }, input), 403, "FORBIDDEN");
    expectError(await api("PUT", "/users/bob", { session: "alice" }, input), 403, "FORBIDDEN");
    expect((await api("GET", "/users/alice", { session: "alice" })).body.values).not.toContainEqual(
      expect.objectContaining({ name: "for someone else" }),
    );
  });

  it("refuses project tokens from non-admins (403)", async () => {
    expectError(
      await api(
        "PUT",
        "/projects/PRJ",
        { session: "bob" },
        { name: "bob's", permissions: ["REPO_READ"] },
      ),
      403,
      "FORBIDDEN",
    );
  });

  it("refuses a change to a set expiry (409), and gives an expiry only once", async () => {
    const dated = await e2e.client.createToken("/users/alice", "alice", {
      name: "dated",
      permissions: ["REPO_READ"],
      expiryDays: 7,
    });
    expectError(
      await api("POST", `/users/alice/${dated.id}`, { session: "alice" }, { expiryDays: 30 }),
      409,
      "EXPIRY_IMMUTABLE",
    );
    expectError(
      await api("POST", `/users/alice/${dated.id}`, { session: "alice" }, { expiryDays: 1 }),
      409,
      "EXPIRY_IMMUTABLE",
    );

    const open = await e2e.client.createToken("/users/alice", "alice", {
      name: "open",
      permissions: ["REPO_READ"],
    });
    const first = await api(
      "POST",
      `/users/alice/${open.id}`,
      { session: "alice" },
      { expiryDays: 3 },
    );
    expect(first.status).toBe(200);
    expect(first.body.expiresAt).not.toBeNull();
    expectError(
      await api("POST", `/users/alice/${open.id}`, { session: "alice" }, { expiryDays: 3 }),
      409,
      "EXPIRY_IMMUTABLE",
    );
    expect((await api("GET", `/users/alice/${open.id}`, { session: "alice" })).body.expiresAt).toBe(
      first.body.expiresAt,
    );
  });
});

describe("errors carry patkit's code and the right status", () => {
  it("400 VALIDATION_FAILED names the fields, and bad JSON is a 400 too", async () => {
    const invalid = await api(
      "PUT",
      "/users/alice",
      { session: "alice" },
      { name: "", permissions: ["ROOT"] },
    );
    expectError(invalid, 400, "VALIDATION_FAILED");
    expect(invalid.body.error.fields).toEqual(expect.arrayContaining(["name"]));
    const response = await fetch(`${e2e.server.url}${MANAGEMENT_PREFIX}/users/alice`, {
      method: "PUT",
      headers: { Authorization: `Basic ${Buffer.from("alice:demo").toString("base64")}` },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("VALIDATION_FAILED");
  });

  it("404 NOT_FOUND for an unknown token, or one under another owner's URL", async () => {
    expectError(
      await api("GET", "/users/alice/AAAAAAAAAAAAAAAA", { session: "alice" }),
      404,
      "NOT_FOUND",
    );
    const project = await e2e.client.createToken("/projects/PRJ", "alice", {
      name: "p",
      permissions: ["REPO_READ"],
    });
    expectError(
      await api("GET", `/users/alice/${project.id}`, { session: "alice" }),
      404,
      "NOT_FOUND",
    );
    expectError(await api("GET", "/users/nobody", { session: "alice" }), 404, "NOT_FOUND");
  });

  it("422 POLICY_VIOLATION and 409 LIMIT_EXCEEDED under a policy only system admins set", async () => {
    expectError(
      await api("PUT", "/policy", { session: "alice" }, { expiryRequired: true }),
      403,
      "FORBIDDEN",
    );
    const strict = await api(
      "PUT",
      "/policy",
      { session: "carol" },
      {
        expiryRequired: true,
        maxExpiryDays: 30,
        maxTokensPerOwner: 1,
      },
    );
    expect(strict.status).toBe(200);
    try {
      expectError(
        await api(
          "PUT",
          "/users/dave",
          { session: "carol" },
          { name: "x", permissions: ["REPO_READ"] },
        ),
        403,
        "FORBIDDEN",
      );
      const noExpiry = await api(
        "PUT",
        "/projects/OPS/repos/infra",
        { session: "carol" },
        { name: "x", permissions: ["REPO_READ"] },
      );
      expectError(noExpiry, 422, "POLICY_VIOLATION");
      const tooLong = await api(
        "PUT",
        "/projects/OPS/repos/infra",
        { session: "carol" },
        {
          name: "x",
          permissions: ["REPO_READ"],
          expiryDays: 31,
        },
      );
      expectError(tooLong, 422, "POLICY_VIOLATION");
      const ok = await api(
        "PUT",
        "/projects/OPS/repos/infra",
        { session: "carol" },
        {
          name: "first",
          permissions: ["REPO_READ"],
          expiryDays: 30,
        },
      );
      expect(ok.status).toBe(201);
      const second = await api(
        "PUT",
        "/projects/OPS/repos/infra",
        { session: "carol" },
        {
          name: "second",
          permissions: ["REPO_READ"],
          expiryDays: 30,
        },
      );
      expectError(second, 409, "LIMIT_EXCEEDED");
      expect((await api("GET", "/policy", { session: "bob" })).body).toEqual({
        expiryRequired: true,
        maxExpiryDays: 30,
        maxTokensPerOwner: 1,
      });
    } finally {
      await api("PUT", "/policy", { session: "carol" }, { expiryRequired: false });
    }
  });

  it("401 without a sign-in, with a challenge; the demo password opens nothing but management", async () => {
    const anonymous = await api("GET", "/users/alice", null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Basic realm=");
    const wrong = await api("GET", "/users/alice", {
      basic: { username: "alice", password: "wrong" },
    });
    expect(wrong.status).toBe(401);
    const inactive = await api("GET", "/users/dave", { session: "dave" });
    expectError(inactive, 401, "UNAUTHORIZED");
    const url = e2e.server.cloneUrl(e2e.server.cast.alpha, { username: "alice", password: "demo" });
    expect(isAuthenticationFailure(await e2e.client.lsRemote(url))).toBe(true);
  });

  it("503 STORE_UNAVAILABLE when the store is down, for management and for git alike", async () => {
    const token = await e2e.client.createToken("/users/alice", "alice", {
      name: "n",
      permissions: ["REPO_READ"],
    });
    faulty.failAll();
    expectError(await api("GET", "/users/alice", { session: "alice" }), 503, "STORE_UNAVAILABLE");
    const run = await e2e.client.lsRemote(e2e.server.cloneUrl(e2e.server.cast.alpha), token.secret);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("returned error: 503");
    faulty.heal();
    expect(
      (await e2e.client.lsRemote(e2e.server.cloneUrl(e2e.server.cast.alpha), token.secret)).code,
    ).toBe(0);
  });
});
