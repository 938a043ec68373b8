// The memory-store verify ratio to its floor for several source trees, in one process: the floor
// and each tree's verifyToken alternate (8 slices per round), so a before/after comparison meets
// the same machine. Each tree is a directory holding a `src/` (e.g. from `git archive <commit> src`).
//   npx tsx bench/compare-memory-verify.ts /tmp/before /tmp/after     (MS=4000 REPS=3 by default)
import { resolve } from "node:path";
import type { AccessTokens } from "patkit";
import { floorSpecs } from "./cases/floor.js";
import { hostAccess, USER } from "./fixtures.js";
import { type CaseResult, measureInterleaved } from "./harness.js";

interface Tree {
  readonly name: string;
  readonly tokens: AccessTokens;
  readonly secret: string;
  readonly ratios: number[];
}

const trees: Tree[] = [];
for (const dir of process.argv.slice(2).map((path) => resolve(path))) {
  const core = await import(`${dir}/src/index.ts`);
  const memory = await import(`${dir}/src/adapters/memory/index.ts`);
  const tokens: AccessTokens = core.createAccessTokens({
    store: memory.createMemoryStore(),
    access: hostAccess,
  });
  let secret = "";
  for (let i = 0; i < 1001; i++) {
    const owner = { kind: "user", userId: USER.userId } as const;
    secret = (await tokens.create({ owner, name: `b ${i}`, permissions: ["REPO_WRITE"] }, USER))
      .secret;
  }
  if (!(await tokens.verifyToken(secret)).ok) throw new Error(`A valid token failed in ${dir}`);
  trees.push({ name: dir, tokens, secret, ratios: [] });
}
if (trees.length === 0) throw new Error("Give one or more directories that hold a src/");

const floor = floorSpecs((trees[0] as Tree).secret).sha256;
const box = { warmupMs: 500, measureMs: Number(process.env.MS ?? 4000) };
const specs = trees.map((tree) => ({
  group: tree.name,
  name: tree.name,
  async: () => tree.tokens.verifyToken(tree.secret),
}));
for (let round = 1; round <= Number(process.env.REPS ?? 3); round++) {
  const [base, ...results] = (await measureInterleaved([floor, ...specs], box, 8)) as [
    CaseResult,
    ...CaseResult[],
  ];
  const parts = results.map((result, i) => {
    const ratio = result.opsPerSecond / base.opsPerSecond;
    trees[i]?.ratios.push(ratio);
    const perCpu = result.opsPerCpuSecond / base.opsPerCpuSecond;
    return `${result.name} ${ratio.toFixed(3)} (per CPU-second ${perCpu.toFixed(3)})`;
  });
  console.log(`round ${round}: floor ${Math.round(base.opsPerSecond)}/s; ${parts.join("; ")}`);
}
for (const tree of trees) {
  const sorted = [...tree.ratios].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  console.log(
    `${tree.name}: median ${median.toFixed(3)}, ` +
      `range ${sorted[0]?.toFixed(3)}-${sorted.at(-1)?.toFixed(3)}`,
  );
}
