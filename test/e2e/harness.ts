import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManualClock, type ManualClock, type TokenStore } from "patkit";
import { DemoClient } from "../../examples/git-server/demo-client.js";
import {
  type AuditEntry,
  type DemoServer,
  startDemoServer,
} from "../../examples/git-server/server.js";
import {
  openStorage,
  type StorageChoice,
  throwAwaySchema,
} from "../../examples/git-server/storage.js";

/** One demo server for a test file, a client with the real git, and the audit trail. */
export interface E2e {
  readonly server: DemoServer;
  readonly client: DemoClient;
  readonly clock: ManualClock;
  readonly audit: AuditEntry[];
  /** The refusal reasons the server recorded, in order. */
  reasons(): string[];
  close(): Promise<void>;
}

/**
 * The storage the end-to-end suites run on: a throw-away schema on the PostgreSQL server of
 * `DATABASE_URL` when it is set, else PGlite in memory.
 */
export function e2eStorage(): StorageChoice {
  const databaseUrl = process.env.DATABASE_URL;
  return databaseUrl
    ? { kind: "postgres", databaseUrl, schema: throwAwaySchema(), dropSchemaOnClose: true }
    : { kind: "pglite" };
}

/**
 * Starts the demo server from examples/git-server in process, on an ephemeral port. `wrap` may
 * wrap the store (e.g. to inject failures).
 */
export async function startE2e(
  options: { wrap?: (store: TokenStore) => TokenStore } = {},
): Promise<E2e> {
  const dataDir = await mkdtemp(join(tmpdir(), "patkit-e2e-"));
  const storage = await openStorage(e2eStorage());
  const clock = createManualClock();
  const audit: AuditEntry[] = [];
  const server = await startDemoServer({
    dataDir,
    storage: {
      kind: "store",
      store: options.wrap ? options.wrap(storage.store) : storage.store,
      description: storage.description,
    },
    clock,
    onAudit: (entry) => audit.push(entry),
  });
  const client = await DemoClient.create(server.url, dataDir);
  return {
    server,
    client,
    clock,
    audit,
    reasons: () => audit.flatMap((entry) => (entry.kind === "refused" ? [entry.reason] : [])),
    async close() {
      await server.close();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
