import { ValidationError } from "./errors.js";

/** The time port. Every time decision in patkit reads the injected clock, never `Date.now()`. */
export interface Clock {
  /** The current instant, as a new `Date` the caller may keep. */
  now(): Date;
}

/** The production clock: the system's wall time. */
export const systemClock: Clock = Object.freeze({
  now: () => new Date(),
});

/** A clock that moves only when told to, for tests. */
export interface ManualClock extends Clock {
  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to an instant. */
  set(date: Date | number | string): void;
}

/** Creates a {@link ManualClock} that starts at `start` (default 2025-01-01T00:00:00.000Z). */
export function createManualClock(start: Date | number | string = DEFAULT_START): ManualClock {
  let current = toMillis(start, "start");
  return {
    now: () => new Date(current),
    advance(ms: number) {
      if (typeof ms !== "number" || !Number.isFinite(ms)) {
        throw new ValidationError([{ path: ["ms"], message: "Expected a finite number" }]);
      }
      current += ms;
    },
    set(date: Date | number | string) {
      current = toMillis(date, "date");
    },
  };
}

const DEFAULT_START = "2025-01-01T00:00:00.000Z";

function toMillis(value: Date | number | string, name: string): number {
  const ms = value instanceof Date ? value.getTime() : new Date(value).getTime();
  if (Number.isNaN(ms)) throw new ValidationError([{ path: [name], message: "Invalid date" }]);
  return ms;
}
