import { Hono } from "hono";
import type { Principal, Requirement } from "patkit";
import { authenticateRequest, rejectionResponse } from "patkit/http";
import { beforeEach, describe, expect, it } from "vitest";
import { countingRealm, createHttpFixture, type HttpFixture, readR1 } from "./fixture.js";

let fx: HttpFixture;
beforeEach(async () => {
  fx = await createHttpFixture();
});

const request = (authorization?: string, path = "/projects/P/repos/R1") =>
  new Request(`https://api.example${path}`, {
    headers: authorization === undefined ? {} : { Authorization: authorization },
  });

describe("authenticateRequest (Web Fetch Request)", () => {
  it("accepts a valid token and returns its principal", async () => {
    const result = await authenticateRequest(
      fx.tokens,
      request(`Bearer ${fx.repository.secret}`),
      readR1,
    );
    expect(result).toMatchObject({
      ok: true,
      principal: {
        kind: "repository",
        projectId: "P",
        repositoryId: "R1",
        tokenId: fx.repository.id,
      },
    });
  });

  it("prepares an options object once, however many requests it serves", async () => {
    const options = countingRealm("api");
    for (let i = 0; i < 3; i++) {
      const result = await authenticateRequest(fx.tokens, request(), readR1, options);
      expect(result.ok || result.response.headers.get("www-authenticate")).toBe(
        'Bearer realm="api"',
      );
    }
    expect(options.reads).toBe(1);
  });

  it("returns a ready Response for a refusal", async () => {
    const result = await authenticateRequest(fx.tokens, request(), readR1, { realm: "api" });
    if (result.ok) throw new Error("expected a refusal");
    expect(result.response.status).toBe(401);
    expect(result.response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(result.response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await result.response.json()).toEqual({
      error: { code: "authentication_required", message: expect.any(String) },
    });
  });

  it("computes the requirement from the request", async () => {
    const requirement = (req: Request): Requirement | null => {
      const match = /^\/projects\/([^/]+)\/repos\/([^/]+)$/.exec(new URL(req.url).pathname);
      return match?.[1] && match[2]
        ? {
            permission: req.method === "GET" ? "REPO_READ" : "REPO_WRITE",
            projectId: match[1],
            repositoryId: match[2],
          }
        : null;
    };
    const header = `Bearer ${fx.repository.secret}`;
    expect((await authenticateRequest(fx.tokens, request(header), requirement)).ok).toBe(true);
    const elsewhere = await authenticateRequest(
      fx.tokens,
      request(header, "/projects/P/repos/R2"),
      requirement,
    );
    expect(elsewhere).toMatchObject({ ok: false, status: 403, reason: "insufficient_permission" });
  });

  it("passes the request to onReject", async () => {
    const seen: string[] = [];
    const req = request("Bearer nope");
    await authenticateRequest(fx.tokens, req, readR1, {
      onReject: (rejection, rejectedRequest) =>
        seen.push(`${rejection.reason} ${rejectedRequest.url}`),
    });
    expect(seen).toEqual([`malformed ${req.url}`]);
  });

  it("sends one WWW-Authenticate line per challenge", async () => {
    const result = await authenticateRequest(fx.tokens, request(), readR1, {
      basicChallenge: true,
    });
    if (result.ok) throw new Error("expected a refusal");
    // Headers.get joins repeated headers with ", ".
    expect(result.response.headers.get("www-authenticate")).toBe(
      'Basic realm="patkit", Bearer realm="patkit"',
    );
    expect(rejectionResponse(result).status).toBe(401);
  });
});

describe("a Hono app using authenticateRequest", () => {
  function app() {
    const hono = new Hono<{ Variables: { principal: Principal } }>();
    hono.use("/projects/:projectId/repos/:repositoryId/*", async (c, next) => {
      const auth = await authenticateRequest(fx.tokens, c.req.raw, {
        permission: c.req.method === "GET" ? "REPO_READ" : "REPO_WRITE",
        projectId: c.req.param("projectId") ?? "",
        repositoryId: c.req.param("repositoryId") ?? "",
      });
      if (!auth.ok) return auth.response;
      c.set("principal", auth.principal);
      await next();
    });
    hono.get("/projects/:projectId/repos/:repositoryId/files", (c) =>
      c.json({ tokenId: c.get("principal").tokenId }),
    );
    hono.post("/projects/:projectId/repos/:repositoryId/files", (c) =>
      c.json({ written: true }, 201),
    );
    return hono;
  }

  it("lets a token with the permission through to the handler", async () => {
    const response = await app().request("/projects/P/repos/R1/files", {
      headers: { Authorization: `Bearer ${fx.project.secret}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tokenId: fx.project.id });
  });

  it("stops a read-only token from writing, and an anonymous caller from reading", async () => {
    const write = await app().request("/projects/P/repos/R1/files", {
      method: "POST",
      headers: { Authorization: `Bearer ${fx.project.secret}` },
    });
    expect(write.status).toBe(403);
    expect(write.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    const anonymous = await app().request("/projects/P/repos/R1/files");
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe("authentication_required");
  });
});
