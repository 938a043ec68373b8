import { describe, expect, it } from "vitest";
import { normalizeIp } from "../../src/core/client-address.js";

describe("normalizeIp", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:c000:0201", "192.0.2.1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8::0001", "2001:db8::1"],
    ["::1", "::1"],
    ["::", "::"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["fe80::1:2", "fe80::1:2"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each([
    "",
    "localhost",
    "192.0.2",
    "192.0.2.256",
    "192.0.2.01",
    "192.0.2.1:8080",
    "[::1]",
    "fe80::1%eth0",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7::8",
    "12345::",
    " 192.0.2.1",
    "192.0.2.1\n",
    "g::1",
    "x".repeat(1000),
  ])("ignores %j", (input) => {
    expect(normalizeIp(input)).toBeNull();
  });

  it("ignores what is not a string", () => {
    for (const value of [null, undefined, 1, {}, ["192.0.2.1"]])
      expect(normalizeIp(value)).toBeNull();
  });
});
