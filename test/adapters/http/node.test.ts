import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticateNodeRequest, writeRejection } from "patkit/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, countingRealm, createHttpFixture, type HttpFixture, readR1 } from "./fixture.js";

let fx: HttpFixture;
let server: Server;
let base: string;

beforeAll(async () => {
  fx = await createHttpFixture();
  server = createServer(async (req, res) => {
    const auth = await authenticateNodeRequest(fx.tokens, req, res, readR1, {
      basicChallenge: true,
      realm: "node",
    });
    if (!auth.ok) return;
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        userId: "userId" in auth.principal ? auth.principal.userId : null,
        scheme: auth.scheme,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** A raw GET, to see each header line as sent. */
function get(authorization?: string): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/anything`, {
      headers: authorization ? { Authorization: authorization } : {},
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ res, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function lines(res: IncomingMessage, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]?.toLowerCase() === name) values.push(res.rawHeaders[i + 1] ?? "");
  }
  return values;
}

describe("authenticateNodeRequest (node:http)", () => {
  it("lets a valid token through", async () => {
    const { res, body } = await get(basic("alice", fx.personal.secret));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(body)).toEqual({ userId: "alice", scheme: "basic" });
  });

  it("writes a 401 with one WWW-Authenticate line per challenge and a JSON body", async () => {
    const { res, body } = await get();
    expect(res.statusCode).toBe(401);
    expect(lines(res, "www-authenticate")).toEqual(['Basic realm="node"', 'Bearer realm="node"']);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(body).error.code).toBe("authentication_required");
  });

  it("writes 403 for a token that lacks the permission", async () => {
    const other = await fx.tokens.create(
      {
        owner: { kind: "repository", projectId: "P", repositoryId: "R2" },
        name: "r2",
        permissions: ["REPO_READ"],
      },
      { userId: "alice" },
    );
    const { res, body } = await get(`Bearer ${other.secret}`);
    expect(res.statusCode).toBe(403);
    expect(lines(res, "www-authenticate")).toEqual([
      'Basic realm="node"',
      'Bearer realm="node", error="insufficient_scope"',
    ]);
    expect(body).not.toContain(other.secret);
  });

  it("writes 503 when the store fails", async () => {
    fx.faulty.failNext("findById");
    const { res } = await get(`Bearer ${fx.personal.secret}`);
    expect(res.statusCode).toBe(503);
    expect(lines(res, "www-authenticate")).toEqual([]);
  });
});

describe("authenticateNodeRequest options", () => {
  it("prepares an options object once, however many requests it serves", async () => {
    const options = countingRealm("node");
    for (let i = 0; i < 3; i++) {
      const written: [string, unknown][] = [];
      const response = {
        statusCode: 200,
        headersSent: false,
        setHeader: (name: string, value: unknown) => written.push([name, value]),
        end: () => {},
      };
      const result = await authenticateNodeRequest(
        fx.tokens,
        { headers: {} },
        response,
        readR1,
        options,
      );
      expect(result.ok).toBe(false);
      expect(response.statusCode).toBe(401);
      expect(written).toContainEqual(["WWW-Authenticate", 'Bearer realm="node"']);
    }
    expect(options.reads).toBe(1);
  });
});

describe("writeRejection", () => {
  it("does nothing once headers are sent", () => {
    const calls: string[] = [];
    writeRejection(
      {
        statusCode: 200,
        headersSent: true,
        setHeader: () => calls.push("setHeader"),
        end: () => calls.push("end"),
      },
      {
        ok: false,
        status: 401,
        reason: "missing_credentials",
        headers: [],
        body: { error: { code: "authentication_required", message: "" } },
      },
    );
    expect(calls).toEqual([]);
  });
});
