import { describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness } from "../support/host.js";

const MINUTE = 60_000;

describe("last-authenticated", () => {
  it("is written after a successful verify, off the response path", async () => {
    const { tokens, clock, counting } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    clock.advance(5000);
    const result = await tokens.verifyToken(secret);
    expect(result.ok && result.token.lastAuthenticatedAt).toBeNull(); // the answer did not wait for the write
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(1);
    expect((await tokens.get(token.id, alice)).lastAuthenticatedAt).toEqual(clock.now());
  });

  it("is written at most once per token per minute however many verifies run", async () => {
    const { tokens, clock, counting } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    for (let i = 0; i < 100; i++) {
      await tokens.verifyToken(secret);
      clock.advance(500); // 100 verifies over 50 s
    }
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(1);
    clock.advance(MINUTE);
    await tokens.verifyToken(secret);
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(2);
    expect((await tokens.get(token.id, alice)).lastAuthenticatedAt).toEqual(clock.now());
  });

  it("batches the writes of many tokens verified together into one store call", async () => {
    const { tokens, counting } = createHarness();
    const secrets = [];
    for (let i = 0; i < 5; i++) {
      secrets.push(
        (
          await tokens.create(
            { owner: aliceOwner, name: `t${i}`, permissions: ["REPO_READ"] },
            alice,
          )
        ).secret,
      );
    }
    await Promise.all(secrets.map((secret) => tokens.verifyToken(secret)));
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(1);
  });

  it("takes a configurable interval", async () => {
    const { tokens, clock, counting } = createHarness({ lastAuthenticatedIntervalMs: 1000 });
    const { secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    await tokens.verifyToken(secret);
    clock.advance(999);
    await tokens.verifyToken(secret);
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(1);
    clock.advance(1);
    await tokens.verifyToken(secret);
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(2);
  });

  it("is not written for failed verifications", async () => {
    const { tokens, counting } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    await tokens.revoke(token.id, alice);
    await tokens.verifyToken(secret);
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(0);
  });

  it("never fails a verify when the write fails: the error goes to onError, and a later verify retries", async () => {
    const { tokens, store: memory, errors, counting } = createHarness();
    const { token, secret } = await tokens.create(
      { owner: aliceOwner, name: "ci", permissions: ["REPO_READ"] },
      alice,
    );
    const original = memory.touchLastAuthenticated;
    memory.touchLastAuthenticated = () => Promise.reject(new Error("disk full"));
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    await tokens.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toMatchObject({ code: "STORE_UNAVAILABLE" });
    memory.touchLastAuthenticated = original;
    expect((await tokens.verifyToken(secret)).ok).toBe(true);
    await tokens.flush();
    expect(counting.count("touchLastAuthenticated")).toBe(2);
    expect((await tokens.get(token.id, alice)).lastAuthenticatedAt).not.toBeNull();
  });
});
