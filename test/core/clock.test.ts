import { createManualClock, systemClock, ValidationError } from "patkit";
import { describe, expect, it } from "vitest";

describe("clocks", () => {
  it("moves a manual clock only when told", () => {
    const clock = createManualClock("2026-03-01T12:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2026-03-01T12:00:00.000Z");
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe("2026-03-01T12:00:01.500Z");
    clock.set(new Date("2030-01-01T00:00:00.000Z"));
    expect(clock.now().toISOString()).toBe("2030-01-01T00:00:00.000Z");
  });

  it("hands out copies, so callers cannot move the clock", () => {
    const clock = createManualClock(0);
    clock.now().setTime(999_999);
    expect(clock.now().getTime()).toBe(0);
  });

  it("refuses invalid dates and steps with a ValidationError naming the argument", () => {
    expect(() => createManualClock("not a date")).toThrow(ValidationError);
    const clock = createManualClock();
    expect(() => clock.advance(Number.NaN)).toThrowError(/ms/);
    expect(() => clock.set("nope")).toThrowError(/date/);
  });

  it("reads the system time from the system clock", () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
