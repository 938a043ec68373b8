import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples and tests import "patkit/..." as users do; point them at the sources.
    alias: [
      { find: /^patkit\/memory$/, replacement: source("./src/adapters/memory/index.ts") },
      { find: /^patkit\/postgres$/, replacement: source("./src/adapters/postgres/index.ts") },
      { find: /^patkit\/http$/, replacement: source("./src/adapters/http/index.ts") },
      {
        find: /^patkit\/bitbucket$/,
        replacement: source("./src/adapters/bitbucket/index.ts"),
      },
      { find: /^patkit\/testing$/, replacement: source("./src/testing/index.ts") },
      { find: /^patkit\/store$/, replacement: source("./src/store/index.ts") },
      { find: /^patkit$/, replacement: source("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // PGlite needs a few seconds to start cold; real git end-to-end runs need room too.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
