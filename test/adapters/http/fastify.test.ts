import Fastify from "fastify";
import { createFastifyHook } from "patkit/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, createHttpFixture, type HttpFixture } from "./fixture.js";

let fx: HttpFixture;
const app = Fastify();

beforeAll(async () => {
  fx = await createHttpFixture();
  app.decorateRequest("patkit", undefined);
  // Route-level onRequest: the params are known before the body is read.
  app.get(
    "/projects/:projectId/repos/:repositoryId",
    {
      onRequest: createFastifyHook(fx.tokens, {
        basicChallenge: true,
        requirement: (request) => {
          const params = (request as unknown as { params: Record<string, string> }).params;
          return {
            permission: "REPO_READ",
            projectId: params.projectId ?? "",
            repositoryId: params.repositoryId ?? "",
          };
        },
      }),
    },
    async (request) => ({
      tokenId: request.patkit?.principal.tokenId,
      scheme: request.patkit?.scheme,
    }),
  );
  // preHandler: the requirement reads the parsed body.
  app.post(
    "/writes",
    {
      preHandler: createFastifyHook(fx.tokens, {
        requirement: (request) => {
          const body = (request as unknown as { body: { projectId: string; repositoryId: string } })
            .body;
          return {
            permission: "REPO_WRITE",
            projectId: body.projectId,
            repositoryId: body.repositoryId,
          };
        },
      }),
    },
    async () => ({ written: true }),
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

declare module "fastify" {
  interface FastifyRequest {
    patkit?: import("patkit/http").PatkitAuth;
  }
}

describe("createFastifyHook (a real Fastify instance)", () => {
  it("sets request.patkit and lets the handler run", async () => {
    const response = await app.inject({
      url: "/projects/P/repos/R1",
      headers: { authorization: basic("alice", fx.personal.secret) },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ tokenId: fx.personal.id, scheme: "basic" });
  });

  it("answers 401 with both challenges and a JSON body, and the handler does not run", async () => {
    const response = await app.inject({ url: "/projects/P/repos/R1" });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toEqual([
      'Basic realm="patkit"',
      'Bearer realm="patkit"',
    ]);
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.json()).toEqual({
      error: { code: "authentication_required", message: expect.any(String) },
    });
  });

  it("answers 400 for a malformed header and 403 for another repository", async () => {
    const malformed = await app.inject({
      url: "/projects/P/repos/R1",
      headers: { authorization: "Bearer" },
    });
    expect(malformed.statusCode).toBe(400);
    const elsewhere = await app.inject({
      url: "/projects/P/repos/R2",
      headers: { authorization: `Bearer ${fx.repository.secret}` },
    });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.code).toBe("insufficient_scope");
  });

  it("works as a preHandler whose requirement reads the body", async () => {
    const write = (token: string, repositoryId: string) =>
      app.inject({
        method: "POST",
        url: "/writes",
        headers: { authorization: `Bearer ${token}` },
        payload: { projectId: "P", repositoryId },
      });
    expect((await write(fx.repository.secret, "R1")).statusCode).toBe(200);
    expect((await write(fx.repository.secret, "R2")).statusCode).toBe(403);
    expect((await write(fx.project.secret, "R1")).statusCode).toBe(403);
  });

  it("answers 503 when the store is unavailable", async () => {
    fx.faulty.failNext("findById");
    const response = await app.inject({
      url: "/projects/P/repos/R1",
      headers: { authorization: `Bearer ${fx.personal.secret}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers["www-authenticate"]).toBeUndefined();
  });
});
