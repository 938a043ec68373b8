import { StoreUnavailableError } from "../../index.js";
import type { StoreChange, Unwatch } from "../../store/index.js";
import type {
  ListenerConnection,
  ListenOptions,
  PostgresClient,
  PostgresNotification,
} from "./client.js";

type Listener = (change: StoreChange) => void;

/** Fans the store's change channel out to `watch` listeners. */
export interface Notifications {
  watch(listener: Listener): Promise<Unwatch>;
}

/** A source of notifications: started with the first listener, stopped after the last. */
interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface NotificationOptions {
  readonly client: PostgresClient;
  readonly channel: string;
  readonly listen: ListenOptions | false | undefined;
}

/**
 * Notifications for `watch`, or `null` when the store cannot listen: PGlite's own `listen`, or
 * a dedicated connection from `listen.connect` (reconnected with backoff when lost).
 */
export function createNotifications(options: NotificationOptions): Notifications | null {
  const listeners = new Set<Listener>();
  const deliver = (change: StoreChange) => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the others still hear of the change.
      }
    }
  };
  const onPayload = (payload: string | undefined) => {
    if (payload) deliver({ kind: "token", id: payload });
  };

  let source: Source;
  if (options.listen) {
    source = connectionSource(options.listen, options.channel, onPayload, () =>
      deliver({ kind: "all" }),
    );
  } else if (options.listen === undefined && typeof options.client.listen === "function") {
    source = pgliteSource(options.client, options.channel, onPayload);
  } else {
    return null;
  }

  // Starts and stops run one after another, each deciding on the listeners present when it runs.
  let listening = false;
  let transition: Promise<void> = Promise.resolve();
  const chain = (step: () => Promise<void>) => {
    const next = transition.then(step);
    transition = next.catch(() => undefined);
    return next;
  };

  return {
    async watch(listener: Listener): Promise<Unwatch> {
      const own: Listener = (change) => listener(change);
      listeners.add(own);
      try {
        await chain(async () => {
          if (listening || !listeners.has(own)) return;
          await source.start();
          listening = true;
        });
      } catch (error) {
        listeners.delete(own);
        throw new StoreUnavailableError("Listening for token changes failed", { cause: error });
      }
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        listeners.delete(own);
        await chain(async () => {
          if (!listening || listeners.size > 0) return;
          listening = false;
          await source.stop();
        });
      };
    },
  };
}

/** `LISTEN` takes an identifier; the channel holds a dot, so it is quoted. */
function quoted(channel: string): string {
  return `"${channel}"`;
}

function pgliteSource(
  client: PostgresClient,
  channel: string,
  onPayload: (payload: string) => void,
): Source {
  let unlisten: (() => Promise<void>) | null = null;
  return {
    async start() {
      unlisten = await (client.listen as NonNullable<PostgresClient["listen"]>)(
        quoted(channel),
        onPayload,
      );
    },
    async stop() {
      const stopping = unlisten;
      unlisten = null;
      if (stopping === null) return;
      try {
        await stopping();
      } catch {
        // PGlite 0.5 unlistens with the channel's quotes stripped, which fails for a name with
        // a dot; its callback is gone by then, so only the subscription itself is left to end.
        await client.query(`UNLISTEN ${quoted(channel)}`);
      }
    },
  };
}

/**
 * LISTEN on a dedicated connection. When the connection is lost it reconnects, waiting
 * `retryDelayMs` and doubling up to `maxRetryDelayMs`, and reports `{ kind: "all" }` once it
 * listens again: notifications sent in between are lost, so listeners must assume anything changed.
 */
function connectionSource(
  options: ListenOptions,
  channel: string,
  onPayload: (payload: string | undefined) => void,
  onReconnected: () => void,
): Source {
  const firstDelay = options.retryDelayMs ?? 100;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  let running = false;
  let current: Listening | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;

  async function open(): Promise<void> {
    const connection = await options.connect();
    const listening: Listening = {
      connection,
      handlers: {
        notification: (message) => {
          if (listening === current && message.channel === channel) onPayload(message.payload);
        },
        error: (error) => lost(listening, error),
        end: () => lost(listening, new Error("The LISTEN connection ended")),
      },
    };
    connection.on("notification", listening.handlers.notification);
    connection.on("error", listening.handlers.error);
    connection.on("end", listening.handlers.end);
    try {
      await connection.query(`LISTEN ${quoted(channel)}`);
    } catch (error) {
      close(listening, asError(error));
      throw error;
    }
    if (running) current = listening;
    else close(listening); // stopped while connecting
  }

  function lost(listening: Listening, error: Error): void {
    if (listening !== current) return;
    current = null;
    close(listening, error);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (!running || retryTimer !== null) return;
    const delay = Math.min(maxDelay, firstDelay * 2 ** attempt);
    attempt++;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!running) return;
      open().then(
        () => {
          if (current === null) return;
          attempt = 0;
          onReconnected();
        },
        () => scheduleReconnect(),
      );
    }, delay);
    // A pending reconnection alone does not keep a Node process alive.
    (retryTimer as { unref?: () => void }).unref?.();
  }

  return {
    async start() {
      running = true;
      attempt = 0;
      try {
        await open();
      } catch (error) {
        running = false;
        throw error;
      }
    },
    async stop() {
      running = false;
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      const listening = current;
      current = null;
      if (listening === null) return;
      let failure: Error | undefined;
      try {
        // A pooled connection goes back to the pool: it must not stay subscribed.
        await listening.connection.query("UNLISTEN *");
      } catch (error) {
        failure = asError(error);
      }
      close(listening, failure);
    },
  };
}

interface Listening {
  readonly connection: ListenerConnection;
  readonly handlers: {
    notification: (message: PostgresNotification) => void;
    error: (error: Error) => void;
    end: () => void;
  };
}

/**
 * Detaches the handlers and returns the connection to its pool (discarded after an error) or
 * ends it. After an error the error handler stays: a dying connection may emit "error" again,
 * and an EventEmitter without an "error" listener would crash the process.
 */
function close({ connection, handlers }: Listening, error?: Error): void {
  connection.removeListener?.("notification", handlers.notification);
  connection.removeListener?.("end", handlers.end);
  if (error === undefined) connection.removeListener?.("error", handlers.error);
  try {
    if (typeof connection.release === "function") connection.release(error);
    else void Promise.resolve(connection.end?.()).catch(() => undefined);
  } catch {
    // Already released or closed.
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
