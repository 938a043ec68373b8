// Cold start: what importing patkit costs a fresh process, next to @noble/hashes/sha2 (the one
// dependency every verify needs), and the size of the core's bundle for edge runtimes.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { measureBundle } from "../../scripts/bundle-size.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Milliseconds a fresh node process takes to import these specifiers, one after the other. */
function importMs(specifiers: readonly string[]): number {
  const script =
    "const t = performance.now();" +
    specifiers.map((s) => `await import(${JSON.stringify(s)});`).join("") +
    "console.log(performance.now() - t);";
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
  });
  return Number(output.trim());
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** The cold-start figures, from the built package (dist/, built here first). */
export async function measureColdStart(runs = 9) {
  // Fresh processes import what users import: the built package, resolved by its own name.
  execFileSync("npx", ["tsup", "--silent"], { cwd: root, stdio: "ignore" });
  const patkit: number[] = [];
  const noble: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternating, so both meet the same machine.
    patkit.push(importMs(["patkit", "patkit/memory"]));
    noble.push(importMs(["@noble/hashes/sha2"]));
  }
  const bundle = await measureBundle(root);
  return { runs, patkitMs: median(patkit), nobleMs: median(noble), bundle };
}
