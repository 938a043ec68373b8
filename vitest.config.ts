import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // PGlite needs a few seconds to start cold; real git end-to-end runs need room too.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
