import type { Environment } from "./environment.js";
import type { CaseResult } from "./harness.js";

/** A ratio the issue sets a target for; `value` is null when a side of it did not run. */
export interface Ratio {
  readonly name: string;
  readonly value: number | null;
  /** The same ratio in ops per CPU-second, for cases that run in this process only. */
  readonly cpuValue?: number;
  readonly target: number;
  readonly why?: string;
}

/** Everything one run measured. */
export interface Report {
  readonly environment: Environment;
  readonly timeBox: string;
  readonly results: CaseResult[];
  readonly ratios: Ratio[];
  readonly facts: string[];
  readonly skipped: string[];
  readonly seconds: number;
}

export function ratio(
  name: string,
  numerator: CaseResult | null | undefined,
  denominator: CaseResult | null | undefined,
  target: number,
  inProcess = false,
): Ratio {
  if (!numerator || !denominator)
    return { name, value: null, target, why: "not measured in this run" };
  const value = numerator.opsPerSecond / denominator.opsPerSecond;
  if (!inProcess) return { name, value, target };
  return { name, value, target, cpuValue: numerator.opsPerCpuSecond / denominator.opsPerCpuSecond };
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function micros(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return value < 100 ? value.toFixed(1) : integer.format(value);
}

function times(value: number): string {
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}x`;
}

function ratioText(r: Ratio): string {
  if (r.value === null) return `not measured (${r.why})`;
  const cpu = r.cpuValue === undefined ? "" : `; per CPU-second ${times(r.cpuValue)}`;
  return `${times(r.value)} (target >= ${r.target}x): ${r.value >= r.target ? "met" : "NOT met"}${cpu}`;
}

/** The results as a Markdown table (also readable as plain text in a terminal). */
export function resultsTable(results: readonly CaseResult[]): string {
  const rows = [
    "| Group | Case | In flight | ops/s | ops/CPU-s | p50 (µs) | p99 (µs) | Peak RSS (MB) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    rows.push(
      `| ${r.group} | ${r.name} | ${r.inFlight} | ${integer.format(r.opsPerSecond)} | ` +
        `${integer.format(r.opsPerCpuSecond)} | ` +
        `${micros(r.p50Us)} | ${micros(r.p99Us)} | ${r.peakRssMb.toFixed(0)} |`,
    );
  }
  return rows.join("\n");
}

/** The generated part of docs/benchmarks.md: machine, versions, table, ratios, facts. */
export function renderReport(report: Report): string {
  const env = report.environment;
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC in ${report.seconds.toFixed(0)} s (${report.timeBox}).`,
    "",
    `- Machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGb} GB, ${env.os}; load average at start ${env.loadAverage}`,
    `- Versions: ${Object.entries(env.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}`,
    "",
    resultsTable(report.results),
    "",
    "Ratios (same run):",
    "",
    ...report.ratios.map((r) => `- ${r.name}: ${ratioText(r)}`),
    "",
    "Counts and notes:",
    "",
    ...report.facts.map((fact) => `- ${fact}`),
    ...report.results.flatMap((r) =>
      r.notes.map((note) => `- ${r.group} / ${r.name} / ${r.inFlight} in flight: ${note}`),
    ),
  ];
  if (report.skipped.length > 0)
    lines.push("", "Skipped:", "", ...report.skipped.map((s) => `- ${s}`));
  return lines.join("\n");
}

const START = "<!-- bench:start (written by npm run bench) -->";
const END = "<!-- bench:end -->";

/** Replaces the generated block of `document` (or appends one) with `generated`. */
export function replaceGenerated(document: string, generated: string): string {
  const block = `${START}\n${generated}\n${END}`;
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start >= 0 && end > start)
    return document.slice(0, start) + block + document.slice(end + END.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}
