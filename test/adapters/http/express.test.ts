import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { createExpressMiddleware, type PatkitAuth } from "patkit/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpFixture, type HttpFixture } from "./fixture.js";

// What an app adds once so that TypeScript knows `req.patkit` (see docs/http.md).
declare global {
  namespace Express {
    interface Request {
      patkit?: PatkitAuth;
    }
  }
}

let fx: HttpFixture;
let server: Server;
let base: string;
const rejected: string[] = [];

beforeAll(async () => {
  fx = await createHttpFixture();
  const app = express();
  const guard = createExpressMiddleware<Request>(fx.tokens, {
    requirement: (req) => ({
      permission: req.method === "GET" ? "REPO_READ" : "REPO_WRITE",
      projectId: String(req.params.projectId),
      repositoryId: String(req.params.repositoryId),
    }),
    realm: "express",
    onReject: (rejection, req) =>
      rejected.push(`${rejection.reason} ${req.method} ${req.originalUrl}`),
  });
  app.get("/projects/:projectId/repos/:repositoryId", guard, (req, res) => {
    res.json({
      fromRequest: req.patkit?.principal.tokenId,
      fromLocals: res.locals.patkit?.token.id,
    });
  });
  app.post("/projects/:projectId/repos/:repositoryId", guard, (_req, res) => {
    res.status(201).json({ written: true });
  });
  app.get("/any-token", createExpressMiddleware(fx.tokens), (req, res) => {
    res.json({ kind: req.patkit?.principal.kind });
  });
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ handledBy: "express", message: error.message });
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const call = (path: string, init: { method?: string; token?: string } = {}) =>
  fetch(`${base}${path}`, {
    method: init.method ?? "GET",
    headers: init.token ? { Authorization: `Bearer ${init.token}` } : {},
  });

describe("createExpressMiddleware (a real Express app)", () => {
  it("sets req.patkit and res.locals.patkit and calls the handler", async () => {
    const response = await call("/projects/P/repos/R1", { token: fx.repository.secret });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      fromRequest: fx.repository.id,
      fromLocals: fx.repository.id,
    });
  });

  it("takes the requirement from the route parameters", async () => {
    const write = await call("/projects/P/repos/R1", {
      method: "POST",
      token: fx.repository.secret,
    });
    expect(write.status).toBe(201);
    const elsewhere = await call("/projects/P/repos/R2", { token: fx.repository.secret });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get("www-authenticate")).toBe(
      'Bearer realm="express", error="insufficient_scope"',
    );
    const readOnly = await call("/projects/P/repos/R1", {
      method: "POST",
      token: fx.project.secret,
    });
    expect(readOnly.status).toBe(403);
  });

  it("answers 401 in JSON without calling the handler, and reports the reason", async () => {
    await fx.tokens.revoke(fx.project.id, { userId: "alice" });
    const response = await call("/projects/P/repos/R1", { token: fx.project.secret });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="express", error="invalid_token"',
    );
    expect(await response.json()).toEqual({
      error: { code: "invalid_token", message: expect.any(String) },
    });
    expect(rejected).toContain("revoked GET /projects/P/repos/R1");
  });

  it("accepts any valid token without a requirement", async () => {
    const response = await call("/any-token", { token: fx.personal.secret });
    expect(await response.json()).toEqual({ kind: "user" });
    expect((await call("/any-token")).status).toBe(401);
  });

  it("hands a failing host callback to Express's error handler", async () => {
    const original = fx.host.access.hasPermission;
    fx.host.access.hasPermission = () => {
      throw new Error("directory down");
    };
    try {
      const response = await call("/projects/P/repos/R1", { token: fx.personal.secret });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ handledBy: "express", message: "directory down" });
    } finally {
      fx.host.access.hasPermission = original;
    }
  });
});
