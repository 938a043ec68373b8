import { mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  type AccessTokenEvent,
  type AccessTokens,
  type Clock,
  createAccessTokens,
  type Principal,
} from "patkit";
import { toNodeListener } from "patkit/bitbucket";
import {
  authenticateNodeRequest,
  gitRequirement,
  type HttpAuthOptions,
  type HttpRejection,
  parseGitRequest,
} from "patkit/http";
import {
  BITBUCKET_API_BASE,
  createDemoBitbucketApi,
  MANAGEMENT_PREFIX,
  POLICY_PATH,
} from "./bitbucket-api.js";
import { type DemoCast, type DemoHost, seedDemoHost } from "./demo-host.js";
import { serveWithGitBackend } from "./git-backend.js";
import { sendError, sendJson } from "./json.js";
import { createBareRepositories } from "./repositories.js";
import { openStorage, type Storage, type StorageChoice } from "./storage.js";
import { createUi, type Ui } from "./ui/index.js";

/** One line of the demo's audit trail. Never a secret: events and refusals carry none. */
export type AuditEntry =
  | { readonly kind: "event"; readonly event: AccessTokenEvent }
  | {
      readonly kind: "refused";
      readonly status: number;
      readonly reason: HttpRejection["reason"];
      readonly tokenId?: string;
      readonly method: string;
      readonly path: string;
    };

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** Holds the bare repositories (`repositories/`) and, for PGlite, the database. */
  readonly dataDir: string;
  /** Where tokens live; default: in memory. */
  readonly storage?: StorageChoice;
  /** The clock patkit decides with; tests pass a manual clock to expire tokens. */
  readonly clock?: Clock;
  /** Default 127.0.0.1 and an ephemeral port. */
  readonly hostname?: string;
  readonly port?: number;
  /** Receives the audit trail: token events and refused requests with their reasons. */
  readonly onAudit?: (entry: AuditEntry) => void;
  /** Receives diagnostics (git http-backend's stderr, internal errors). */
  readonly log?: (line: string) => void;
}

/** A running demo server. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly tokens: AccessTokens;
  readonly host: DemoHost;
  readonly cast: DemoCast;
  readonly storage: Storage;
  /** The clone URL of a repository of the cast. */
  cloneUrl(
    repository: DemoCast["alpha"],
    credentials?: { username: string; password: string },
  ): string;
  close(): Promise<void>;
}

/** The realm of every challenge the demo sends. */
export const REALM = "patkit demo";

/**
 * Starts the demo: a Git smart-HTTP server whose every request is authenticated by patkit
 * (personal tokens over Basic or Bearer, project and repository tokens over Bearer), repositories
 * served by `git http-backend`, and Bitbucket's access-token REST API (`patkit/bitbucket`).
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const log = options.log ?? (() => {});
  const audit = options.onAudit ?? (() => {});
  const { host, cast } = seedDemoHost();
  const projectRoot = join(options.dataDir, "repositories");
  await mkdir(projectRoot, { recursive: true });
  await createBareRepositories(host, projectRoot);

  const storage = await openStorage(options.storage ?? { kind: "memory" });
  const tokens = createAccessTokens({
    store: storage.store,
    access: host.access,
    ...(options.clock ? { clock: options.clock } : {}),
    onEvent: (event) => audit({ kind: "event", event }),
    onError: (error, context) => log(`patkit ${context.source} failed: ${String(error)}`),
  });
  const auth: HttpAuthOptions<IncomingMessage> = {
    realm: REALM,
    // Git sends the token of a `http://user:token@host/...` URL only after a Basic challenge.
    basicChallenge: true,
    onReject: (rejection, request) =>
      audit({
        kind: "refused",
        status: rejection.status,
        reason: rejection.reason,
        ...(rejection.tokenId === undefined ? {} : { tokenId: rejection.tokenId }),
        method: request.method ?? "",
        path: new URL(request.url ?? "/", "http://localhost").pathname,
      }),
  };
  const ui = createUi({ tokens, host, log, ...(options.clock ? { clock: options.clock } : {}) });
  const tokenApi = toNodeListener(createDemoBitbucketApi({ tokens, host, log }));
  const context = { tokens, host, auth, log, projectRoot, ui, tokenApi };

  const server = createServer((request, response) => {
    handle(request, response, context).catch((error: unknown) => {
      log(
        `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!response.headersSent) sendError(response, 500, "INTERNAL", "Internal server error");
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.hostname ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;

  return {
    url,
    tokens,
    host,
    cast,
    storage,
    cloneUrl(repository, credentials) {
      const base = new URL(host.clonePath(repository), url);
      if (credentials) {
        base.username = encodeURIComponent(credentials.username);
        base.password = encodeURIComponent(credentials.password);
      }
      return base.href;
    },
    async close() {
      await closeServer(server);
      // close(), not flush(): it also stops watching the store, then writes what is pending.
      await tokens.close();
      await storage.close();
    },
  };
}

interface Context {
  readonly tokens: AccessTokens;
  readonly host: DemoHost;
  readonly auth: HttpAuthOptions<IncomingMessage>;
  readonly log: (line: string) => void;
  readonly projectRoot: string;
  /** The HTTP access token screens (sign-in, tokens, administration). */
  readonly ui: Ui;
  /** Bitbucket's access-token REST API, as a node:http listener. */
  readonly tokenApi: ReturnType<typeof toNodeListener>;
}

async function handle(request: IncomingMessage, response: ServerResponse, context: Context) {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = request.method ?? "GET";
  if (url.pathname.startsWith(`${BITBUCKET_API_BASE}/`)) {
    return context.tokenApi(request, response, () => {
      request.resume();
      sendError(response, 404, "NOT_FOUND", "No such resource");
    });
  }
  if (url.pathname.startsWith("/scm/") && parseGitRequest(method, url) !== null) {
    return handleGit(request, response, context);
  }
  if (url.pathname.startsWith("/rest/api/1.0/"))
    return handleRestApi(request, response, url, context);
  if (await context.ui.handle(request, response, url)) return;
  request.resume();
  if (url.pathname === "/" && method === "GET") {
    return sendJson(response, 200, {
      name: "patkit demo git server",
      git: "/scm/{project}/{repository}.git",
      screens: "/login",
      management: `${MANAGEMENT_PREFIX}/users/{userSlug} | /projects/{projectKey} | /projects/{projectKey}/repos/{repositorySlug}`,
      policy: POLICY_PATH,
    });
  }
  sendError(response, 404, "NOT_FOUND", "No such resource");
}

/** Git: the requirement comes from the request (fetch reads, push writes) and the repository. */
async function handleGit(request: IncomingMessage, response: ServerResponse, context: Context) {
  const { tokens, host } = context;
  const requirement = gitRequirement(request.method ?? "GET", request.url ?? "/", (path) =>
    host.resolveRepository(path),
  );
  // An unknown repository is only reported to callers with a valid token: anonymous probing
  // learns nothing.
  const auth = await authenticateNodeRequest(tokens, request, response, requirement, context.auth);
  if (!auth.ok) {
    request.resume();
    return;
  }
  const repository = requirement?.repositoryId
    ? host.repositories.get(requirement.repositoryId)
    : undefined;
  const git = parseGitRequest(request.method ?? "GET", request.url ?? "/");
  if (!repository || !git) {
    request.resume();
    return sendError(response, 404, "NOT_FOUND", "No such repository");
  }
  await serveWithGitBackend(request, response, {
    projectRoot: context.projectRoot,
    pathInfo: host.backendPath(repository) + git.gitPath,
    remoteUser: remoteUserOf(auth.principal, host),
    log: context.log,
  });
}

/** A REST call guarded by a token, the way a host's own API would be: repository details. */
async function handleRestApi(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  context: Context,
) {
  request.resume();
  const match = /^\/rest\/api\/1\.0\/projects\/([^/]+)\/repos\/([^/]+)$/.exec(url.pathname);
  const project = match?.[1] ? context.host.projectByKey(match[1]) : undefined;
  const repository =
    project && match?.[2] ? context.host.repositoryBySlug(project.id, match[2]) : undefined;
  const requirement = repository
    ? {
        permission: "REPO_READ" as const,
        projectId: repository.projectId,
        repositoryId: repository.id,
      }
    : null;
  const auth = await authenticateNodeRequest(
    context.tokens,
    request,
    response,
    requirement,
    context.auth,
  );
  if (!auth.ok) return;
  if (!project || !repository || request.method !== "GET") {
    return sendError(response, 404, "NOT_FOUND", "No such resource");
  }
  sendJson(response, 200, {
    id: repository.id,
    slug: repository.slug,
    project: { id: project.id, key: project.key, name: project.name },
    cloneUrl: new URL(context.host.clonePath(repository), `http://${request.headers.host}`).href,
    authenticatedAs: auth.principal,
  });
}

function remoteUserOf(principal: Principal, host: DemoHost): string {
  if (principal.kind === "user")
    return host.users.get(principal.userId)?.username ?? principal.userId;
  return `${principal.kind}-token-${principal.tokenId}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
