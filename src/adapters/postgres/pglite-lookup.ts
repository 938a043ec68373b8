import type { PostgresClient } from "./client.js";
import {
  bindMessage,
  closeStatementMessage,
  concatMessages,
  executeMessage,
  parseMessage,
  syncMessage,
} from "./wire.js";

/**
 * The slice of PGlite's API the prepared lookup needs. `_runExclusiveTransaction` is PGlite's own
 * transaction lock (what its `query` takes): holding it keeps the lookup out of a transaction
 * that another caller has open on the same instance, as `query` does.
 */
interface PGliteProtocol {
  execProtocol(message: Uint8Array, options?: { syncToFs?: boolean }): Promise<unknown>;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
}

/** A statement run by its parameters; resolves to its rows, as objects keyed by column. */
export type PreparedLookup = (values: readonly string[]) => Promise<unknown[]>;

// The statement may be gone (DEALLOCATE ALL, DISCARD ALL): prepare it again and retry once.
const STATEMENT_MISSING = "26000";

/**
 * On PGlite, a lookup prepared once on the instance and then run as Bind + Execute + Sync in one
 * `execProtocol` call. PGlite's `query` takes no statement name: it parses, plans and describes
 * the statement on every call, in six calls into PostgreSQL. Each row comes back as one JSON
 * text (`to_json` of the row) with the same keys and values as `query` gives for `text`, whatever
 * type parsers the application set on its instance.
 *
 * Returns `null` for clients that do not offer PGlite's protocol interface (they use `query`).
 */
export function pgliteLookup(client: PostgresClient, text: string): PreparedLookup | null {
  const lite = client as unknown as Partial<PGliteProtocol>;
  if (
    typeof lite.execProtocol !== "function" ||
    typeof lite.runExclusive !== "function" ||
    typeof lite._runExclusiveTransaction !== "function"
  ) {
    return null;
  }
  const protocol = lite as PGliteProtocol;
  const random = crypto.getRandomValues(new Uint32Array(2));
  // One statement per store: stores on other schemas (or other copies of patkit) never collide.
  const name = `patkit_lookup_${random[0]?.toString(36)}${random[1]?.toString(36)}`;
  // Close first: after a failed call the statement may or may not exist.
  const prepare = concatMessages([
    closeStatementMessage(name),
    parseMessage(name, `SELECT to_json(r) FROM (${text}) AS r`),
  ]);
  const tail = concatMessages([executeMessage(), syncMessage()]);
  let prepared = false;

  const run = async (values: readonly string[], withPrepare: boolean): Promise<unknown[]> => {
    const parts = [bindMessage(name, values), tail];
    if (withPrepare) parts.unshift(prepare);
    const message = concatMessages(parts);
    // A read changes nothing that must reach PGlite's file system; the next write syncs.
    const result = await protocol._runExclusiveTransaction(() =>
      protocol.runExclusive(() => protocol.execProtocol(message, { syncToFs: false })),
    );
    return rowsOf(result);
  };

  return async (values) => {
    const withPrepare = !prepared;
    try {
      const rows = await run(values, withPrepare);
      prepared = true;
      return rows;
    } catch (error) {
      prepared = false;
      if (withPrepare || (error as { code?: unknown })?.code !== STATEMENT_MISSING) throw error;
      const rows = await run(values, true);
      prepared = true;
      return rows;
    }
  };
}

interface BackendMessage {
  readonly name?: unknown;
  readonly fields?: unknown;
}

/**
 * The rows of an `execProtocol` result: `{ messages }`, or `[message, data]` pairs as some
 * PGlite releases answer. Anything else fails the call rather than read as "no row".
 */
function rowsOf(result: unknown): unknown[] {
  const messages = Array.isArray(result)
    ? result.map((pair) => (Array.isArray(pair) ? pair[0] : pair))
    : (result as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) throw new Error("Unexpected answer from PGlite's execProtocol");
  const rows: unknown[] = [];
  for (const message of messages as BackendMessage[]) {
    if (message.name !== "dataRow" || !Array.isArray(message.fields)) continue;
    const json = message.fields[0];
    if (typeof json !== "string") throw new Error("Unexpected row from PGlite's execProtocol");
    rows.push(JSON.parse(json));
  }
  return rows;
}
