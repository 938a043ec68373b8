import net from "node:net";

/**
 * A TCP forwarder in front of a real server, which a test can stop and start: to the client the
 * server goes away (connections reset, new ones refused) and comes back, while the real server,
 * shared with other tests, keeps running untouched.
 */
export interface TcpProxy {
  /** The port the proxy listens on (fixed across stop/start). */
  readonly port: number;
  /** Drops every connection and stops accepting new ones. */
  stop(): Promise<void>;
  /** Accepts connections again on the same port. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
  /**
   * Arms a cut after a commit: the next connection that sends bytes containing `marker` (a
   * statement's text) gets its statement through to the server, which runs and commits it, but
   * the server's answer, up to and including its ReadyForQuery, is swallowed and both sides of
   * that connection are then dropped. To the client the statement failed; in the database it
   * took effect. Resolves once the cut has happened.
   */
  cutReplyTo(marker: string): Promise<void>;
}

/** PostgreSQL's ReadyForQuery message type: the server sends it after the commit. */
const READY_FOR_QUERY = 0x5a;

interface ArmedCut {
  readonly marker: string;
  readonly done: () => void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let armed: ArmedCut | null = null;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        // Seen before the pipe forwards the same chunk: the cut is decided before the server runs it.
        let cutting: ArmedCut | null = null;
        let swallowed = Buffer.alloc(0);
        client.on("data", (chunk: Buffer) => {
          if (armed !== null && cutting === null && chunk.includes(armed.marker)) {
            cutting = armed;
            armed = null;
          }
        });
        client.pipe(upstream);
        upstream.on("data", (chunk: Buffer) => {
          if (cutting === null) {
            client.write(chunk);
            return;
          }
          swallowed = Buffer.concat([swallowed, chunk]);
          // Reads whole messages (type byte, then a length that counts itself) up to ReadyForQuery.
          while (swallowed.length >= 5) {
            const end = 1 + swallowed.readInt32BE(1);
            if (swallowed.length < end) break;
            if (swallowed[0] === READY_FOR_QUERY) {
              client.destroy();
              upstream.destroy();
              cutting.done();
              return;
            }
            swallowed = swallowed.subarray(end);
          }
        });
        upstream.on("end", () => client.end());
      });
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        port = (next.address() as net.AddressInfo).port;
        server = next;
        resolve();
      });
    });

  const stop = async () => {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    stop,
    start: listen,
    close: stop,
    cutReplyTo(marker) {
      return new Promise<void>((resolve) => {
        armed = { marker, done: resolve };
      });
    },
  };
}
