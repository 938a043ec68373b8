import { inspect } from "node:util";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness } from "../support/host.js";
import { withBadChecksum } from "../support/token-strings.js";

describe("the secret is shown once and held nowhere", () => {
  it("keeps the secret out of JSON and inspect output of the create result, yet readable", async () => {
    const { tokens } = createHarness();
    const created = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const { secret } = created;
    expect(created.secret).toBe(secret);
    expect(JSON.stringify(created)).not.toContain(secret);
    expect(inspect(created, { depth: 10 })).not.toContain(secret);
    expect(Object.keys(created)).toEqual(["token"]);
  });

  it("stores only a hash: no stored field holds the secret or its secret part", async () => {
    const { tokens, store: memory } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const record = memory.findById(token.id);
    expect(record).not.toBeNull();
    const dump = inspect(record, { depth: 10, maxArrayLength: null }) + JSON.stringify(record);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(20, 63));
    expect(record?.secretHash).toHaveLength(32);
  });

  it("keeps secret and hash out of views, verify results, events and errors", async () => {
    const { tokens, store: memory, events } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const hashHex = bytesToHex(memory.findById(token.id)?.secretHash ?? new Uint8Array());
    const verified = await tokens.verifyToken(secret);
    const failed = await tokens.verifyToken(withBadChecksum(secret));
    const error = await tokens.update(token.id, { name: "" }, alice).catch((e: Error) => e);
    await tokens.revoke(token.id, alice);
    const revoked = await tokens.verifyToken(secret);
    const everything = [token, verified, failed, revoked, events, error, (error as Error).stack];
    const dump = everything
      .map((x) => `${JSON.stringify(x)}\n${inspect(x, { depth: 10, showHidden: true })}`)
      .join("\n");
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(20, 63));
    expect(dump).not.toContain(hashHex);
    expect(Object.keys(token)).not.toContain("secretHash");
  });
});
