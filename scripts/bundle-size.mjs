// The size an application pays for patkit's core: createAccessTokens + createMemoryStore bundled
// with esbuild (--bundle --minify --platform=neutral), as an edge or serverless build would.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/**
 * The most the bundle may weigh, gzipped. v0.1's surface fit the 20 KB target (19.7 KB); v0.2 put
 * rotation, leaked tokens, client addresses, rate limits, maintenance and a user's data on the
 * same object (25.3 KB), so the budget is 27 KB: it still fails on any unplanned growth.
 * docs/benchmarks.md, "Cold start and bundle size", has the breakdown.
 */
export const BUNDLE_LIMIT_BYTES = 27 * 1024;

/** What the bundle holds: the service and the memory store, imported as users do. */
const ENTRY = `export { createAccessTokens } from "patkit";
export { createMemoryStore } from "patkit/memory";
`;

/**
 * Bundles the entry with "patkit" resolved from `resolveDir` (a project that installed it, or
 * the repository itself after `npm run build`), and returns its sizes in bytes.
 */
export async function measureBundle(resolveDir) {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    platform: "neutral",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}
