import { performance } from "node:perf_hooks";

/** How long each case warms up and then runs; `BENCH_TIME_MS` sets the run (default 2000 ms). */
export interface TimeBox {
  readonly warmupMs: number;
  readonly measureMs: number;
}

export function timeBoxFromEnv(): TimeBox {
  const measureMs = Number(process.env.BENCH_TIME_MS ?? 2000);
  if (!(measureMs > 0)) throw new Error("BENCH_TIME_MS must be a positive number of milliseconds");
  return { warmupMs: Math.max(100, Math.round(measureMs / 4)), measureMs };
}

/** One measured case: throughput, latency percentiles and the process's peak RSS while it ran. */
export interface CaseResult {
  readonly group: string;
  readonly name: string;
  readonly inFlight: number;
  readonly ops: number;
  /** Ops run during the warm-up, for per-op counts such as round trips. */
  readonly warmupOps: number;
  readonly opsPerSecond: number;
  /**
   * Completed operations per second of this process's CPU time (user + system, all threads).
   * Steadier than ops/s on a shared machine for cases that only use this process's CPU; for
   * database cases the server's work is not in it.
   */
  readonly opsPerCpuSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly peakRssMb: number;
  /** Extra facts about the case (round trips, writes), shown after the table. */
  readonly notes: string[];
}

/** A case to measure: a synchronous op runs in a tight loop, an async one `inFlight` at a time. */
export type CaseSpec =
  | { readonly group: string; readonly name: string; readonly sync: () => unknown }
  | {
      readonly group: string;
      readonly name: string;
      readonly async: () => Promise<unknown>;
      readonly inFlight?: number;
      /** Ends the case before its time box once it returns true, e.g. when inputs run out. */
      readonly exhausted?: () => boolean;
    };

interface Sample {
  ops: number;
  elapsedMs: number;
  cpuMs: number;
  peakRss: number;
  latencies: Float64Array;
}

// Per-op latencies (ms) of the sample being taken; past this many ops (16 MB) every op still
// counts toward ops/s and the latency sample is the first LATENCY_CAPACITY ops.
const LATENCY_CAPACITY = 1 << 21;
const scratch = new Float64Array(LATENCY_CAPACITY);
const RSS_EVERY = 4096;
const never = () => false;

/** Measures one case: warm-up, then the time box; every op is timed with `performance.now()`. */
export async function measure(spec: CaseSpec, box: TimeBox): Promise<CaseResult> {
  const [result] = await measureInterleaved([spec], box, 1);
  return result as CaseResult;
}

/**
 * Measures cases that are compared with each other by alternating between them: each warms up,
 * then the time box is cut into `rounds` slices run in turn, so both sides of a ratio meet the
 * same machine (other load, CPU frequency) rather than one meeting a busy moment alone.
 */
export async function measureInterleaved(
  specs: readonly CaseSpec[],
  box: TimeBox,
  rounds: number,
): Promise<CaseResult[]> {
  const warmupOps: number[] = [];
  for (const spec of specs) warmupOps.push((await take(spec, box.warmupMs, false)).ops);
  const samples: Sample[][] = specs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, spec] of specs.entries()) {
      samples[index]?.push(await take(spec, box.measureMs / rounds, true));
    }
  }
  return specs.map((spec, index) =>
    summarize(spec, samples[index] as Sample[], warmupOps[index] as number),
  );
}

function take(spec: CaseSpec, ms: number, timed: boolean): Sample | Promise<Sample> {
  if ("sync" in spec) return takeSync(spec.sync, ms, timed);
  return takeAsync(spec.async, ms, spec.inFlight ?? 1, spec.exhausted ?? never, timed);
}

function takeSync(op: () => unknown, ms: number, timed: boolean): Sample {
  const cpu = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  let count = 0;
  const start = performance.now();
  const deadline = start + ms;
  let now = start;
  while (now < deadline) {
    const before = now;
    op();
    now = performance.now();
    if (timed && count < LATENCY_CAPACITY) scratch[count] = now - before;
    count++;
    if ((count & (RSS_EVERY - 1)) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  return finish(count, now - start, cpu, peakRss, timed);
}

async function takeAsync(
  op: () => Promise<unknown>,
  ms: number,
  inFlight: number,
  exhausted: () => boolean,
  timed: boolean,
): Promise<Sample> {
  const cpu = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  let count = 0;
  const start = performance.now();
  const deadline = start + ms;
  const loop = async () => {
    let now = performance.now();
    while (now < deadline && !exhausted()) {
      const before = now;
      await op();
      now = performance.now();
      const index = count++;
      if (timed && index < LATENCY_CAPACITY) scratch[index] = now - before;
      if ((index & (RSS_EVERY - 1)) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < inFlight; i++) loops.push(loop());
  await Promise.all(loops);
  return finish(count, performance.now() - start, cpu, peakRss, timed);
}

function finish(
  ops: number,
  elapsedMs: number,
  cpuSince: NodeJS.CpuUsage,
  peakRss: number,
  timed: boolean,
): Sample {
  const cpu = process.cpuUsage(cpuSince);
  const latencies = timed ? scratch.slice(0, Math.min(ops, LATENCY_CAPACITY)) : new Float64Array();
  return {
    ops,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRss: Math.max(peakRss, process.memoryUsage.rss()),
    latencies,
  };
}

function summarize(spec: CaseSpec, samples: readonly Sample[], warmupOps: number): CaseResult {
  let ops = 0;
  let elapsedMs = 0;
  let cpuMs = 0;
  let peakRss = 0;
  let sampled = 0;
  for (const sample of samples) {
    ops += sample.ops;
    elapsedMs += sample.elapsedMs;
    cpuMs += sample.cpuMs;
    peakRss = Math.max(peakRss, sample.peakRss);
    sampled += sample.latencies.length;
  }
  const latencies = new Float64Array(sampled);
  let offset = 0;
  for (const sample of samples) {
    latencies.set(sample.latencies, offset);
    offset += sample.latencies.length;
  }
  latencies.sort();
  return {
    group: spec.group,
    name: spec.name,
    inFlight: "sync" in spec ? 1 : (spec.inFlight ?? 1),
    ops,
    warmupOps,
    opsPerSecond: ops / (elapsedMs / 1000),
    opsPerCpuSecond: ops / (cpuMs / 1000),
    p50Us: percentile(latencies, 0.5) * 1000,
    p99Us: percentile(latencies, 0.99) * 1000,
    peakRssMb: peakRss / (1024 * 1024),
    notes: [],
  };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}
