import { StoreUnavailableError } from "patkit";
import { createSecretScanningHandler } from "patkit/http";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSigner, type Signer } from "../../support/github-signer.js";
import { alice, aliceOwner, createHarness, type Harness } from "../../support/host.js";

describe("createSecretScanningHandler", () => {
  let signer: Signer;
  let stranger: Signer;
  let harness: Harness;
  let handler: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    signer = await createSigner("github-key-1");
    stranger = await createSigner("github-key-1");
  });

  beforeEach(() => {
    harness = createHarness();
    handler = createSecretScanningHandler({
      tokens: harness.tokens,
      publicKeys: () => [signer.publicKey],
      maxBodyBytes: 64 * 1024,
    });
  });

  async function post(body: string, headers: Record<string, string>): Promise<Response> {
    return handler(
      new Request("https://host.example/github/secret-scanning", { method: "POST", body, headers }),
    );
  }

  async function signedPost(body: string, by = signer): Promise<Response> {
    return post(body, {
      "Github-Public-Key-Identifier": "github-key-1",
      "Github-Public-Key-Signature": await by.sign(body),
    });
  }

  it("revokes reported tokens and labels each match", async () => {
    const { token, secret } = await harness.tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const body = JSON.stringify([
      {
        token: secret,
        type: "patkit_token",
        url: "https://github.com/o/r/blob/1/a",
        source: "content",
      },
      { token: "pat_notatoken", type: "patkit_token", url: "https://x", source: "commit" },
    ]);
    const response = await signedPost(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { token_raw: secret, token_type: "patkit_token", label: "true_positive" },
      { token_raw: "pat_notatoken", token_type: "patkit_token", label: "false_positive" },
    ]);
    expect(await harness.tokens.get(token.id, alice)).toMatchObject({
      status: "revoked",
      revokedReason: "leaked",
    });
    expect(harness.events.at(-1)).toMatchObject({
      type: "token.revoked",
      actor: null,
      report: { source: "content", url: "https://github.com/o/r/blob/1/a" },
    });
  });

  it("answers 401 and revokes nothing without a valid signature by a known key", async () => {
    const { token, secret } = await harness.tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const body = JSON.stringify([{ token: secret, type: "t", url: "u", source: "s" }]);
    expect((await post(body, {})).status).toBe(401);
    expect((await signedPost(body, stranger)).status).toBe(401);
    const signature = await signer.sign(body);
    const unknownKey = await post(body, {
      "Github-Public-Key-Identifier": "other-key",
      "Github-Public-Key-Signature": signature,
    });
    expect(unknownKey.status).toBe(401);
    const tampered = await post(body.replace('"s"', '"t"'), {
      "Github-Public-Key-Identifier": "github-key-1",
      "Github-Public-Key-Signature": signature,
    });
    expect(tampered.status).toBe(401);
    const garbage = await post(body, {
      "Github-Public-Key-Identifier": "github-key-1",
      "Github-Public-Key-Signature": "not base64!",
    });
    expect(garbage.status).toBe(401);
    expect((await harness.tokens.get(token.id, alice)).status).toBe("active");
  });

  it("answers 400 for a signed body that is not an array of matches", async () => {
    for (const body of ["{}", "[1]", "not json", '[{"token":1,"type":"t"}]', '"x"']) {
      expect((await signedPost(body)).status, body).toBe(400);
    }
    expect(await (await signedPost("[]")).json()).toEqual([]);
  });

  it("answers 413 for a body over the cap, before verifying or parsing it", async () => {
    const body = JSON.stringify([{ token: "x".repeat(70_000), type: "t", url: "", source: "" }]);
    const response = await post(body, {
      "Github-Public-Key-Identifier": "github-key-1",
      "Github-Public-Key-Signature": "AAAA",
    });
    expect(response.status).toBe(413);
  });

  it("answers 503 when the token store is down, so GitHub sends the alert again", async () => {
    const down = createSecretScanningHandler({
      tokens: {
        revokeLeaked: () => Promise.reject(new StoreUnavailableError("The token store failed")),
      },
      publicKeys: () => [signer.publicKey],
    });
    const body = JSON.stringify([{ token: "pat_x", type: "t", url: "u", source: "s" }]);
    const response = await down(
      new Request("https://host.example/", {
        method: "POST",
        body,
        headers: {
          "Github-Public-Key-Identifier": "github-key-1",
          "Github-Public-Key-Signature": await signer.sign(body),
        },
      }),
    );
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain("pat_x");
  });

  it("answers 405 to anything but POST", async () => {
    const response = await handler(new Request("https://host.example/x", { method: "GET" }));
    expect(response.status).toBe(405);
  });
});
