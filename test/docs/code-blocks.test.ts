import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, root } from "../support/built-package.js";
import { type DocBlock, extractBlocks, guideFiles } from "../support/doc-blocks.js";

// Every TypeScript and JavaScript block of README.md and docs/*.md, checked the way a reader
// would use it: pasted into a strict project with moduleResolution nodenext that imports the
// built package ("patkit" resolves to this repository's own exports, i.e. dist/).
const blocks = guideFiles(root).flatMap((file) => extractBlocks(root, file));
const checked = blocks.filter((block) => !block.partial);
// Inside the repository, so "patkit" resolves to the package itself and its peers to node_modules.
const dir = join(root, ".tmp", "doctest");

const fileOf = (block: DocBlock) =>
  join(dir, `${block.file.replace(/[/.]/g, "-")}-${block.line}.${block.language}`);
const prologueLines = (block: DocBlock) => (block.assume ? block.assume.split("\n").length : 0);

const options: ts.CompilerOptions = {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  types: ["node"],
  allowJs: true,
  checkJs: true,
  noEmit: true,
  skipLibCheck: true,
};

/** A diagnostic as `README.md:57: message`, at the line of the markdown file. */
function describeDiagnostic(diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const block = checked.find((candidate) => fileOf(candidate) === diagnostic.file?.fileName);
  if (!block || !diagnostic.file || diagnostic.start === undefined) return message;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const at = line - prologueLines(block);
  return at < 0
    ? `${block.where} (doctest: assume): ${message}`
    : `${block.file}:${block.line + at}: ${message}`;
}

describe("code blocks in README.md and docs/*.md", () => {
  beforeAll(async () => {
    await ensureBuilt();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const block of checked) {
      // `export {}` keeps every block a module of its own, as a file of the reader's would be.
      writeFileSync(
        fileOf(block),
        `${block.assume ? `${block.assume}\n` : ""}${block.code}\nexport {};\n`,
      );
    }
  }, 600_000);

  it("has blocks to check", () => {
    expect(checked.length).toBeGreaterThan(10);
  });

  it("type-check under strict and moduleResolution nodenext against the built package", () => {
    const program = ts.createProgram(checked.map(fileOf), options);
    const problems = ts.getPreEmitDiagnostics(program).map(describeDiagnostic);
    expect(problems).toEqual([]);
  }, 120_000);

  const runnable = checked.filter((block) => block.run);
  it.each(runnable.map((block) => [block.where, block] as const))(
    "%s runs",
    (_, block) => {
      let file = fileOf(block);
      if (block.language === "ts") {
        const { outputText } = ts.transpileModule(block.code, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        file = file.replace(/\.ts$/, ".mjs");
        writeFileSync(file, outputText);
      }
      const output = execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8" });
      expect(output).not.toBe("");
    },
    60_000,
  );
});
