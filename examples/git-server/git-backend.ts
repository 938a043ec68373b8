import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";

/** What one `git http-backend` run needs besides the request. */
export interface GitBackendRequest {
  /** `GIT_PROJECT_ROOT`: the directory that holds the bare repositories. */
  readonly projectRoot: string;
  /** The path below the project root: `/prj/alpha.git/info/refs`. */
  readonly pathInfo: string;
  /** Who is pushing or fetching; `git http-backend` enables receive-pack only when it is set. */
  readonly remoteUser: string;
  /** Where the backend's stderr goes. */
  readonly log?: (line: string) => void;
}

const HEADER_END = /\r?\n\r?\n/;

/**
 * Serves one Git HTTP request through `git http-backend`, the CGI program that ships with git:
 * the request body streams to its stdin (gzip'd or not: it inflates `Content-Encoding: gzip`
 * itself), its CGI headers become the response's, and the rest of its stdout streams back.
 */
export function serveWithGitBackend(
  request: IncomingMessage,
  response: ServerResponse,
  options: GitBackendRequest,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: options.projectRoot,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: `HTTP/${request.httpVersion}`,
    REQUEST_METHOD: request.method ?? "GET",
    PATH_INFO: options.pathInfo,
    QUERY_STRING: url.search.slice(1),
    REMOTE_USER: options.remoteUser,
    REMOTE_ADDR: request.socket.remoteAddress ?? "",
    CONTENT_TYPE: request.headers["content-type"] ?? "",
  };
  const length = request.headers["content-length"];
  if (length !== undefined) env.CONTENT_LENGTH = length;
  const encoding = request.headers["content-encoding"];
  if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
  // Protocol v2 is negotiated through this header; http-backend reads it from the environment.
  const protocol = request.headers["git-protocol"];
  if (typeof protocol === "string") env.HTTP_GIT_PROTOCOL = protocol;

  return new Promise((resolve) => {
    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let head = Buffer.alloc(0);
    let headersDone = false;

    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      for (const line of text.split("\n"))
        if (line.trim()) options.log?.(`git http-backend: ${line}`);
    });
    // The backend may stop reading early (e.g. a refused push); that is not our failure.
    child.stdin.on("error", () => {});
    request.pipe(child.stdin);

    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const text = head.toString("latin1");
      const end = HEADER_END.exec(text);
      if (!end) return;
      headersDone = true;
      writeCgiHeaders(response, text.slice(0, end.index));
      const body = head.subarray(end.index + end[0].length);
      if (body.length > 0) response.write(body);
    });

    child.on("error", (error) => {
      options.log?.(`git http-backend could not start: ${error.message}`);
      fail(response);
      resolve();
    });
    child.on("close", (code) => {
      if (!headersDone) {
        options.log?.(`git http-backend exited (${code}) without a response`);
        fail(response);
      } else if (code !== 0) {
        response.destroy();
      } else {
        response.end();
      }
      resolve();
    });
  });
}

function writeCgiHeaders(response: ServerResponse, block: string): void {
  let status = 200;
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else response.appendHeader(name, value);
  }
  response.statusCode = status;
}

function fail(response: ServerResponse): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.statusCode = 502;
  response.setHeader("Content-Type", "application/json; charset=utf-8");
  response.end(
    JSON.stringify({ error: { code: "BAD_GATEWAY", message: "git http-backend failed" } }),
  );
}
