import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticateNodeRequest, authenticateRequest } from "patkit/http";
import { afterEach, describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness, type Harness } from "../../support/host.js";

let harness: Harness;
let server: Server | undefined;

afterEach(async () => {
  await harness.tokens.close();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function start(options: Parameters<typeof createHarness>[0] = {}) {
  harness = createHarness(options);
  const created = await harness.tokens.create(
    { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
    alice,
  );
  return { id: created.token.id, secret: created.secret };
}

async function lastUsedIps(id: string): Promise<readonly string[]> {
  await harness.tokens.flush();
  return (await harness.tokens.get(id, alice)).lastUsedIps;
}

describe("client addresses through patkit/http", () => {
  it("Node: records the peer address, never X-Forwarded-For by default", async () => {
    const token = await start();
    server = createServer(async (req, res) => {
      const auth = await authenticateNodeRequest(harness.tokens, req, res, null);
      if (auth.ok) res.end("ok");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { Authorization: `Bearer ${token.secret}`, "X-Forwarded-For": "203.0.113.9" },
    });
    expect(response.status).toBe(200);
    expect(await lastUsedIps(token.id)).toEqual(["127.0.0.1"]);
  });

  it("Fetch: reads a trusted proxy header when told to (the last entry of a list)", async () => {
    const token = await start();
    const request = new Request("https://host.example/", {
      headers: {
        Authorization: `Bearer ${token.secret}`,
        "X-Forwarded-For": "198.51.100.1, 2001:DB8::7",
      },
    });
    expect((await authenticateRequest(harness.tokens, request)).ok).toBe(true);
    expect(await lastUsedIps(token.id)).toEqual([]);
    harness.clock.advance(60_000);
    const auth = await authenticateRequest(harness.tokens, request, null, {
      clientIp: { header: "X-Forwarded-For" },
    });
    expect(auth.ok).toBe(true);
    expect(await lastUsedIps(token.id)).toEqual(["2001:db8::7"]);
    harness.clock.advance(60_000);
    await authenticateRequest(harness.tokens, request, null, { clientIp: () => "192.0.2.44" });
    expect(await lastUsedIps(token.id)).toEqual(["192.0.2.44", "2001:db8::7"]);
  });
});

describe("rate limits through patkit/http", () => {
  it("answers 429 with Retry-After in whole seconds, rounded up", async () => {
    const token = await start({ rateLimit: { capacity: 1, refillPerSecond: 0.4 } });
    const request = () =>
      new Request("https://host.example/", {
        headers: { Authorization: `Bearer ${token.secret}` },
      });
    expect((await authenticateRequest(harness.tokens, request())).ok).toBe(true);
    const refused = await authenticateRequest(harness.tokens, request());
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused).toMatchObject({ status: 429, reason: "rate_limited", retryAfterMs: 2500 });
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get("retry-after")).toBe("3");
    expect(refused.response.headers.get("www-authenticate")).toBeNull();
    expect(await refused.response.json()).toEqual({
      error: { code: "too_many_requests", message: expect.any(String) },
    });
  });
});
