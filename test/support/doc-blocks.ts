import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A TypeScript or JavaScript block of a guide. An HTML comment right above the fence tells the
 * checker what the block is:
 * - `<!-- doctest: run -->`: a complete program; type-checked, then run.
 * - `<!-- doctest: partial (why) -->`: deliberately a fragment (it uses names the reader supplies);
 *   not checked. Prefer `assume` when a line of declarations makes it complete.
 * - `<!-- doctest: assume <TypeScript> -->`: type-checked with these declarations before it,
 *   e.g. `<!-- doctest: assume declare const tokens: import("patkit").AccessTokens; -->`.
 * Without a marker a block is type-checked as a module of its own.
 */
export interface DocBlock {
  /** `README.md:51`: the file and the line of the opening fence. */
  readonly where: string;
  readonly file: string;
  /** The line of the first line of code in the markdown file (1-based). */
  readonly line: number;
  readonly language: "ts" | "js";
  readonly code: string;
  readonly run: boolean;
  readonly partial: boolean;
  /** Declarations the block assumes, put before it when type-checking. */
  readonly assume: string;
}

const LANGUAGES: Readonly<Record<string, "ts" | "js">> = {
  ts: "ts",
  typescript: "ts",
  tsx: "ts",
  js: "js",
  javascript: "js",
  mjs: "js",
};

/** README.md and every guide under docs/ (not the generated API reference). */
export function guideFiles(root: string): string[] {
  const guides = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...guides];
}

/** The code blocks of one markdown file, with the markers above them. */
export function extractBlocks(root: string, file: string): DocBlock[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? "");
    if (!fence) continue;
    const [, indent = "", marks = "```", info = ""] = fence;
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? "").trim().startsWith(marks)) end++;
    const language = LANGUAGES[info.toLowerCase()];
    if (language) {
      const markers = markersAbove(lines, i);
      const code = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
        .join("\n");
      blocks.push({
        where: `${file}:${i + 1}`,
        file,
        line: i + 2,
        language,
        code,
        run: markers.some((marker) => marker === "run"),
        partial: markers.some((marker) => marker.startsWith("partial")),
        assume: markers
          .filter((marker) => marker.startsWith("assume "))
          .map((marker) => marker.slice("assume ".length))
          .join("\n"),
      });
    }
    i = end;
  }
  return blocks;
}

/** The `doctest:` comments on the lines just above a fence (blank lines and other comments skipped). */
function markersAbove(lines: readonly string[], fence: number): string[] {
  const markers: string[] = [];
  for (let i = fence - 1; i >= 0; i--) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    const comment = /^<!--\s*([\s\S]*?)\s*-->$/.exec(line);
    if (!comment) break;
    const doctest = /^doctest:\s*([\s\S]*)$/.exec(comment[1] ?? "");
    if (doctest?.[1]) markers.push(doctest[1].trim());
  }
  return markers;
}
