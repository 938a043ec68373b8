import { defineConfig } from "tsup";

/** One entry per public subpath; keep in step with `exports` in package.json. */
export default defineConfig({
  entry: {
    index: "src/index.ts",
    "memory/index": "src/adapters/memory/index.ts",
    "postgres/index": "src/adapters/postgres/index.ts",
    "testing/index": "src/testing/index.ts",
    "store/index": "src/store/index.ts",
    "http/index": "src/adapters/http/index.ts",
    "bitbucket/index": "src/adapters/bitbucket/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  splitting: true,
  treeshake: true,
  // zod's entry points load all of zod at run time (every locale, JSON Schema), several times
  // the import of @noble/hashes; inlining the tree-shaken zod/mini schemas keeps import("patkit")
  // cheap for cold starts (docs/benchmarks.md). The sources still import zod/mini.
  noExternal: [/^zod(\/|$)/],
  // Optional peers stay imports; the adapters declare the slice of them they use.
  external: ["pg", "@electric-sql/pglite", "vitest", "express", "fastify"],
});
