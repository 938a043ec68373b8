import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createBitbucketServerClient } from "@coderabbitai/bitbucket/server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { type BitbucketApiHandler, toNodeListener } from "patkit/bitbucket";
import { createMemoryStore } from "patkit/memory";
import { afterEach, describe, expect, it } from "vitest";
import { basic, startBitbucketServer } from "./server.js";

// The mounting recipes of docs/bitbucket.md, each driven by the Bitbucket client.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function handler(): Promise<BitbucketApiHandler> {
  const api = await startBitbucketServer(createMemoryStore());
  closers.push(() => api.close());
  return api.handle;
}

async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Creates a token and lists it through the client; the host's own route answers `/health`. */
async function exercise(url: string): Promise<void> {
  const client = createBitbucketServerClient({
    baseUrl: `${url}/rest`,
    headers: { authorization: basic("alice") },
  });
  const created = await client.PUT("/access-tokens/latest/users/{userSlug}", {
    params: { path: { userSlug: "alice" } },
    body: { name: "mounted", permissions: ["REPO_READ"] },
  });
  expect(created.response.status).toBe(200);
  expect(created.data?.token).toMatch(/^pat_/);
  const listed = await client.GET("/access-tokens/latest/users/{userSlug}", {
    params: { path: { userSlug: "alice" } },
  });
  expect(listed.data?.values?.map((token) => token.name)).toEqual(["mounted"]);
  const health = await fetch(`${url}/health`);
  expect(await health.text()).toBe("ok");
}

describe("mounting patkit/bitbucket", () => {
  it("in Express, with app.use(toNodeListener(handle))", async () => {
    const handle = await handler();
    const app = express();
    app.use(toNodeListener(handle));
    app.get("/health", (_req, res) => {
      res.send("ok");
    });
    await exercise(await listen(createServer(app)));
  });

  it("in Fastify, with its body parsers off the handler's routes", async () => {
    const handle = await handler();
    const app = Fastify();
    const listener = toNodeListener(handle);
    await app.register(async (api) => {
      // The handler reads the body itself (with its own cap): Fastify leaves it unread here.
      api.removeAllContentTypeParsers();
      api.addContentTypeParser("*", (_request, _payload, done) => done(null));
      api.all("/rest/access-tokens/*", (request, reply) => {
        reply.hijack();
        listener(request.raw, reply.raw);
      });
    });
    app.get("/health", async () => "ok");
    await app.listen({ port: 0, host: "127.0.0.1" });
    closers.push(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    await exercise(`http://127.0.0.1:${port}`);
  });

  it("in Hono, as middleware that passes on what it does not own", async () => {
    const handle = await handler();
    const app = new Hono();
    app.use(async (c, next) => {
      const response = await handle(c.req.raw);
      if (response) return response;
      await next();
    });
    app.get("/health", (c) => c.text("ok"));
    // Served by node:http here; on Bun, Deno or Workers, export `app` as they expect.
    await exercise(
      await listen(createServer(toNodeListener(async (request) => app.fetch(request)))),
    );
  });

  it("in node:http, with next for the host's own routes", async () => {
    const handle = await handler();
    const listener = toNodeListener(handle);
    const server = createServer((request, response) =>
      listener(request, response, () => {
        response.end(request.url === "/health" ? "ok" : "not found");
      }),
    );
    await exercise(await listen(server));
  });
});
