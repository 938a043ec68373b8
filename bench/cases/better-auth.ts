import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { getMigrations } from "better-auth/db/migration";
import type { CaseSpec } from "../harness.js";

/** better-auth's API-key plugin factory (`apiKey` of `@better-auth/api-key`). */
export type ApiKeyPlugin = (options?: Record<string, unknown>) => unknown;

/**
 * Since better-auth 1.7 the plugin is its own package, `@better-auth/api-key`; `null` when it is
 * not installed. `BENCH_BETTER_AUTH_API_KEY` may name another place to import it from (a path to
 * its dist/index.mjs), for a run on a machine where it is unpacked but not a dependency.
 */
export async function loadApiKeyPlugin(): Promise<ApiKeyPlugin | null> {
  const from = process.env.BENCH_BETTER_AUTH_API_KEY;
  const name = from ? pathToFileURL(resolve(from)).href : "@better-auth/api-key";
  try {
    const module = (await import(name)) as { apiKey?: ApiKeyPlugin };
    return typeof module.apiKey === "function" ? module.apiKey : null;
  } catch {
    return null;
  }
}

interface ApiKeyApi {
  createApiKey(input: { body: { userId: string; name: string } }): Promise<{ key: string }>;
  verifyApiKey(input: { body: { key: string } }): Promise<{ valid: boolean }>;
}

/**
 * better-auth's API-key verify (`auth.api.verifyApiKey`, server-side, no HTTP) on `database`:
 * its memory adapter, or a `pg` Pool. Rate limiting is off, so every verify succeeds and the
 * plugin does what it does by default otherwise: read the key by hash, then write `lastRequest`
 * and `updatedAt`.
 */
export async function prepareBetterAuth(
  apiKey: ApiKeyPlugin,
  database: "memory" | object,
  group: string,
): Promise<(inFlight: number) => CaseSpec> {
  const auth = betterAuth({
    database:
      database === "memory"
        ? memoryAdapter({ user: [], session: [], account: [], verification: [], apikey: [] })
        : (database as never),
    secret: "patkit-bench-secret-patkit-bench-secret-0123",
    baseURL: "http://localhost:3000",
    plugins: [apiKey({ rateLimit: { enabled: false } }) as never],
    logger: { disabled: true },
    telemetry: { enabled: false },
  });
  if (database !== "memory") {
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();
  }
  const context = await auth.$context;
  const user = await context.internalAdapter.createUser(
    { email: `bench-${Date.now()}@example.com`, name: "Bench", emailVerified: true },
    { method: "admin" },
  );
  const api = auth.api as unknown as ApiKeyApi;
  const keys: string[] = [];
  for (let i = 0; i < 10; i++)
    keys.push((await api.createApiKey({ body: { userId: user.id, name: `bench ${i}` } })).key);
  return (inFlight) => {
    let next = 0;
    const verify = async () => {
      const key = keys[next++ % keys.length] as string;
      const result = await api.verifyApiKey({ body: { key } });
      if (!result.valid) throw new Error("A valid better-auth key failed in the bench");
    };
    return { group, name: "better-auth apiKey verify", async: verify, inFlight };
  };
}
