// Heap held by the memory store per token: run in a child process with --expose-gc (see run.ts),
// so nothing else the bench allocates is counted. Prints one JSON line.
import { createMemoryStore } from "patkit/memory";
import { accessTokensOn } from "./fixtures.js";

const COUNT = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("Run with --expose-gc");

function settledHeap(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const store = createMemoryStore();
const tokens = accessTokensOn(store);
const before = settledHeap();
const started = performance.now();
for (let i = 0; i < COUNT; i++) {
  // Distinct owners, like a real population, and names of a realistic length.
  await tokens.create(
    {
      owner: { kind: "user", userId: `user-${i % 10_000}` },
      name: `CI token ${i}`,
      permissions: ["PROJECT_READ", "REPO_WRITE"],
      expiryDays: 90,
    },
    { userId: `user-${i % 10_000}` },
  );
}
const seconds = (performance.now() - started) / 1000;
const after = settledHeap();
if (store.size !== COUNT) throw new Error(`Expected ${COUNT} tokens, found ${store.size}`);
console.log(
  JSON.stringify({
    tokens: COUNT,
    heapDeltaBytes: after - before,
    bytesPerToken: (after - before) / COUNT,
    createSeconds: seconds,
    rssBytes: process.memoryUsage.rss(),
  }),
);
