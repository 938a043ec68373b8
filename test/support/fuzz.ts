/**
 * How many cases each property runs: a bounded number by default so `npm test` stays fast, and
 * as many as `PATKIT_FUZZ_RUNS` asks for in a long run (e.g. `PATKIT_FUZZ_RUNS=20000`).
 */
export const FUZZ_RUNS = runsFromEnvironment(process.env.PATKIT_FUZZ_RUNS, 200);

/** A share of {@link FUZZ_RUNS} for properties whose single case is expensive, at least `floor`. */
export function fuzzRuns(share: number, floor = 10): number {
  return Math.max(floor, Math.round(FUZZ_RUNS * share));
}

/** A per-test timeout that grows with the run count, so long fuzz runs are not cut short. */
export function fuzzTimeout(baseMs = 30_000): number {
  return baseMs + FUZZ_RUNS * 20;
}

function runsFromEnvironment(value: string | undefined, fallback: number): number {
  const runs = Number(value);
  return Number.isSafeInteger(runs) && runs > 0 ? runs : fallback;
}
