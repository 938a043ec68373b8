import { describe, expect, it } from "vitest";
// Internal on purpose: this file tests the token format's own parts (base 62, CRC-32).
import { base62Digit, encodeBase62Fixed } from "../../src/core/base62.js";
import { crc32Ascii } from "../../src/core/crc32.js";
import {
  generateToken,
  hasValidChecksum,
  parseToken,
  TOKEN_BODY_LENGTH,
  tokenPattern,
} from "../../src/core/token-format.js";

describe("token format", () => {
  it("generates <prefix>_<16-char id><43-char secret><6-char checksum>, URL-safe", () => {
    const { id, token } = generateToken("pat");
    expect(token).toMatch(/^pat_[0-9A-Za-z]{65}$/);
    expect(token.slice(4, 20)).toBe(id);
    expect(token).not.toMatch(/[:@/]/);
  });

  it("parses what it generates back to the same id", () => {
    for (let i = 0; i < 50; i++) {
      const generated = generateToken("pat");
      expect(parseToken(generated.token, "pat")).toEqual({
        id: generated.id,
        secretStart: generated.secretStart,
      });
    }
  });

  it("never repeats a token", () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateToken("pat").token));
    expect(seen.size).toBe(2000);
  });

  it("draws secret characters from the whole alphabet", () => {
    const characters = new Set(
      Array.from({ length: 200 }, () => generateToken("pat").token.slice(20, 63))
        .join("")
        .split(""),
    );
    expect(characters.size).toBe(62);
  });

  it("rejects a changed character through the checksum", () => {
    const { token } = generateToken("pat");
    for (const position of [4, 20, 40, 62, 63, 68]) {
      const original = token[position] as string;
      const replacement = original === "a" ? "b" : "a";
      const tampered = token.slice(0, position) + replacement + token.slice(position + 1);
      expect(parseToken(tampered, "pat")).toBeNull();
    }
  });

  it("rejects a wrong prefix, a wrong length, and non-base-62 characters", () => {
    const { token } = generateToken("pat");
    expect(parseToken(token, "gat")).toBeNull();
    expect(parseToken(`x${token}`, "pat")).toBeNull();
    expect(parseToken(token.slice(0, -1), "pat")).toBeNull();
    expect(parseToken(`${token.slice(0, 30)}-${token.slice(31)}`, "pat")).toBeNull();
    expect(parseToken(token.replace("_", "-"), "pat")).toBeNull();
    expect(parseToken("", "pat")).toBeNull();
    expect(parseToken(undefined, "pat")).toBeNull();
    expect(parseToken(42, "pat")).toBeNull();
  });

  it("lets a scanner find tokens with the documented pattern and confirm them offline", () => {
    const { token } = generateToken("pat");
    const text = `config: password=${token}\nother: pat_short`;
    const matches = text.match(tokenPattern("pat")) ?? [];
    expect(matches).toEqual([token]);
    expect(hasValidChecksum(token.slice(4))).toBe(true);
    expect(hasValidChecksum(`${token.slice(4, -1)}${token.endsWith("0") ? "1" : "0"}`)).toBe(false);
    expect(TOKEN_BODY_LENGTH).toBe(65);
  });

  it("computes the standard CRC-32", () => {
    expect(crc32Ascii("123456789")).toBe(0xcbf43926);
    expect(crc32Ascii("")).toBe(0);
  });

  it("encodes base 62 at a fixed width that decodes back", () => {
    for (const value of [0, 1, 61, 62, 0xffffffff, 123456789]) {
      const text = encodeBase62Fixed(value, 6);
      expect(text).toHaveLength(6);
      const decoded = [...text].reduce((n, c) => n * 62 + base62Digit(c.charCodeAt(0)), 0);
      expect(decoded).toBe(value);
    }
  });
});
