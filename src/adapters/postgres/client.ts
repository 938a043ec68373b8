/**
 * The slice of a PostgreSQL driver patkit needs, declared here so the adapter imports no driver.
 * A `pg` `Pool` or `Client` and a PGlite instance satisfy it as they are.
 *
 * Through a pool consecutive calls may land on different connections, so patkit never spreads
 * one write over several calls: each write is one statement.
 */
export interface PostgresClient {
  /**
   * Runs one statement with `$1`, `$2`, ... parameters. `pg` also takes a named statement
   * (`{ name, text, values }`), which it parses and plans once per connection; patkit sends the
   * verify lookup that way when the client is a `pg` Pool or Client.
   */
  query(text: string | NamedStatement, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * Runs several statements in one simple-protocol call (PGlite's `exec`). When absent,
   * `migrate` sends its script through `query` without parameters, which `pg` runs the same way.
   */
  exec?(text: string): Promise<unknown>;
  /** PGlite's LISTEN: calls `callback` with each payload on `channel`; resolves to an unlisten function. */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/** A prepared statement in `pg`'s form: the name identifies it on each connection. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/** True for a `pg` Pool or Client, which connect and have no PGlite-style `exec`. */
export function takesNamedStatements(client: PostgresClient): boolean {
  return (
    typeof (client as { connect?: unknown }).connect === "function" &&
    typeof client.exec !== "function"
  );
}

/** A notification as `pg` reports it. */
export interface PostgresNotification {
  readonly channel: string;
  readonly payload?: string;
}

/**
 * A dedicated connection for LISTEN, in the shape of a `pg` `PoolClient` (from `pool.connect()`)
 * or a connected `pg` `Client`. patkit gives it back with `release` when it has one, else `end`.
 */
export interface ListenerConnection {
  /** Runs `LISTEN` and `UNLISTEN`. */
  query(text: string): Promise<unknown>;
  /** Delivers a notification on a channel this connection listens to. */
  on(event: "notification", listener: (message: PostgresNotification) => void): unknown;
  /** Reports a failed connection (e.g. its backend was terminated). */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Reports a closed connection. */
  on(event: "end", listener: () => void): unknown;
  /** Detaches a listener added with `on`. */
  // biome-ignore lint/suspicious/noExplicitAny: matches EventEmitter's own signature
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
  /** A `PoolClient`'s: with an error, the pool discards the connection. */
  release?(error?: Error | boolean): void;
  /** A `Client`'s: closes the connection. */
  end?(): Promise<void> | void;
}

/** How the store opens its LISTEN connection for `watch` on a server (not needed with PGlite). */
export interface ListenOptions {
  /**
   * Opens a dedicated connection, called again after the connection is lost. For a `pg` Pool:
   * `() => pool.connect()` (which keeps one pool connection for as long as anyone watches).
   */
  readonly connect: () => Promise<ListenerConnection>;
  /** The first wait before reconnecting, in ms; it doubles on each failure. Default 100. */
  readonly retryDelayMs?: number;
  /** The longest wait between reconnection attempts, in ms. Default 30 000. */
  readonly maxRetryDelayMs?: number;
}

/** The rows of the last statement, whether a driver answered one result or one per statement. */
export function lastRows(result: unknown): unknown[] {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  const rows = (last as { rows?: unknown } | undefined)?.rows;
  return Array.isArray(rows) ? rows : [];
}
