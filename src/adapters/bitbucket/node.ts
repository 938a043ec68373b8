import type { BitbucketApiHandler } from "./handler.js";

/** The slice of Node's `http.IncomingMessage` the listener reads (Express's request fits). */
export interface NodeListenerRequest extends AsyncIterable<Uint8Array | string> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: { readonly [name: string]: string | string[] | undefined };
  /** The connection: TLS when it has `encrypted: true` (Node's `TLSSocket`). */
  readonly socket?: object | null;
}

/** The slice of Node's `http.ServerResponse` the listener writes (Express's response fits). */
export interface NodeListenerResponse {
  statusCode: number;
  /** Sets one response header. */
  setHeader(name: string, value: string | readonly string[]): unknown;
  /** Ends the response, with an optional body. */
  end(chunk?: Uint8Array | string): unknown;
}

/**
 * Node's `http` (and Express) glue for a Fetch handler such as {@link createBitbucketApi}'s:
 * `http.createServer(toNodeListener(handle))`, or `app.use(toNodeListener(handle))` in Express,
 * where paths the handler does not own go to `next()`. Without `next`, they are answered 404.
 * The request body is streamed to the handler, which reads at most its cap of it.
 */
export function toNodeListener(
  handle: BitbucketApiHandler,
): (request: NodeListenerRequest, response: NodeListenerResponse, next?: () => void) => void {
  return (request, response, next) => {
    void respond(handle, request, response, next);
  };
}

async function respond(
  handle: BitbucketApiHandler,
  request: NodeListenerRequest,
  response: NodeListenerResponse,
  next: (() => void) | undefined,
): Promise<void> {
  const incoming = toFetchRequest(request);
  let answer: Response | null;
  try {
    answer = await handle(incoming.request);
  } catch {
    // The handler answers every failure itself; this is a request Fetch cannot represent.
    answer = new Response(null, { status: 400 });
  }
  if (answer === null) {
    if (next) return next();
    answer = new Response(null, { status: 404 });
  }
  response.statusCode = answer.status;
  answer.headers.forEach((value, name) => {
    response.setHeader(name, value);
  });
  // A body read only in part (over the cap) leaves bytes on the connection that no one will
  // read: close it after this answer rather than let the client send its next request there.
  // A body never touched is drained by Node itself once the answer is sent.
  if (incoming.partlyRead()) response.setHeader("Connection", "close");
  response.end(new Uint8Array(await answer.arrayBuffer()));
}

function toFetchRequest(request: NodeListenerRequest): {
  request: Request;
  partlyRead: () => boolean;
} {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const socket = request.socket as { encrypted?: boolean } | null | undefined;
  const scheme = socket?.encrypted === true ? "https" : "http";
  const host = headers.get("host") ?? "localhost";
  const url = new URL(request.url ?? "/", `${scheme}://${host}`);
  const method = request.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // Opened on the first read only, so that a body the handler never reads stays Node's to drain.
  let iterator: AsyncIterator<Uint8Array | string> | undefined;
  let finished = false;
  const body = hasBody
    ? new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            iterator ??= request[Symbol.asyncIterator]();
            const { done, value } = await iterator.next();
            if (done) {
              finished = true;
              controller.close();
            } else
              controller.enqueue(
                typeof value === "string" ? new TextEncoder().encode(value) : value,
              );
          },
        },
        { highWaterMark: 0 },
      )
    : null;
  return {
    request: new Request(url, {
      method,
      headers,
      body,
      ...(body && { duplex: "half" }),
    } as RequestInit),
    partlyRead: () => iterator !== undefined && !finished,
  };
}
