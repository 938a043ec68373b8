import type { TokenStore } from "patkit";
import { createMemoryStore } from "patkit/memory";

/** Where the demo keeps its tokens. */
export type StorageChoice =
  /** In process memory: gone at exit (tests). */
  { readonly kind: "memory" };

/** An open token store and how to close it. */
export interface Storage {
  readonly store: TokenStore;
  /** Where the tokens live, for the start-up banner. */
  readonly description: string;
  close(): Promise<void>;
}

/** Opens the token store the choice names. */
export async function openStorage(choice: StorageChoice): Promise<Storage> {
  switch (choice.kind) {
    case "memory":
      return { store: createMemoryStore(), description: "in memory", close: async () => {} };
    case "store":
      return { store: choice.store, description: choice.description, close: async () => {} };
  }
}

/**
 * The storage the environment asks for. Until `patkit/postgres` is available this is memory;
 * `isolated` asks for storage no other run shares (the self-test).
 */
export function storageFromEnvironment(
  _dataDir: string,
  _options: { isolated?: boolean } = {},
): StorageChoice {
  return { kind: "memory" };
}
