import { Agent, request as httpRequest } from "node:http";
import { createMemoryStore } from "patkit/memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BitbucketServer, basic, startBitbucketServer } from "./server.js";

/** One raw HTTP/1.1 exchange on `agent`, so the test sees the connection as Node keeps it. */
function exchange(
  url: string,
  agent: Agent,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers, agent }, (incoming) => {
      let text = "";
      incoming.setEncoding("utf8");
      incoming.on("data", (chunk: string) => {
        text += chunk;
      });
      incoming.on("end", () =>
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text }),
      );
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

describe("toNodeListener on a kept-alive connection", () => {
  let api: BitbucketServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    api = await startBitbucketServer(createMemoryStore());
  });
  afterAll(async () => {
    agent.destroy();
    await api.close();
  });

  it("answers 413 to a declared length over the cap and serves the next request", async () => {
    const url = `${api.url}/rest/access-tokens/latest/users/alice`;
    const headers = { authorization: basic("alice"), "content-type": "application/json" };
    const huge = JSON.stringify({ name: "n".repeat(200_000), permissions: ["REPO_READ"] });
    const refused = await exchange(url, agent, "PUT", headers, huge);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.text)).toHaveProperty("errors");
    const body = JSON.stringify({ name: "after", permissions: ["REPO_READ"] });
    expect((await exchange(url, agent, "PUT", headers, body)).status).toBe(200);
  });

  it("closes the connection after a chunked body it read only in part, and the next request is served", async () => {
    const url = `${api.url}/rest/access-tokens/latest/users/alice`;
    const headers = { authorization: basic("alice"), "content-type": "application/json" };
    const huge = JSON.stringify({ name: "n".repeat(200_000), permissions: ["REPO_READ"] });
    const chunked = { ...headers, "transfer-encoding": "chunked" };
    const refused = await exchange(url, agent, "PUT", chunked, huge);
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe("close");
    const body = JSON.stringify({ name: "after chunked", permissions: ["REPO_READ"] });
    const created = await exchange(url, agent, "PUT", headers, body);
    expect(created.status).toBe(200);
  });

  it("keeps the connection for a body it never read", async () => {
    const url = `${api.url}/rest/access-tokens/latest/users/alice`;
    const unauthenticated = { "content-type": "application/json" };
    const refused = await exchange(url, agent, "PUT", unauthenticated, "x".repeat(100_000));
    expect(refused.status).toBe(401);
    expect(refused.headers.connection).not.toBe("close");
    const listed = await exchange(url, agent, "GET", { authorization: basic("alice") });
    expect(listed.status).toBe(200);
  });
});
