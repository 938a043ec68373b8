import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createBitbucketServerClient } from "@coderabbitai/bitbucket/server";
import { type Actor, parseAuthorization, type TokenStore } from "patkit";
import { type BitbucketApiHandler, createBitbucketApi, toNodeListener } from "patkit/bitbucket";
import { afterEach, beforeEach, expect } from "vitest";
import { createHarness, type Harness } from "../../support/host.js";
import type { StoreTarget } from "../../support/stores.js";

/** The password every test user signs in with (the host's own sign-in, not a token). */
export const PASSWORD = "pw";

/** HTTP Basic credentials for a user signed in with the password. */
export function basic(user: string, password = PASSWORD): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** The Bitbucket client of `@coderabbitai/bitbucket`, typed by Atlassian's OpenAPI document. */
export type BitbucketClient = ReturnType<typeof createBitbucketServerClient>;

/** A handler mounted on a node:http server, over a harness, and clients for it. */
export interface BitbucketServer {
  readonly harness: Harness<TokenStore>;
  readonly handle: BitbucketApiHandler;
  readonly url: string;
  /** A client that sends `authorization` with every call (none when omitted). */
  client(authorization?: string): BitbucketClient;
  /** A raw request to the server, for what a typed client cannot send. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Failures the handler reported to `onError`. */
  readonly reported: unknown[];
  close(): Promise<void>;
}

/** The users the host knows, by slug: slug -> id (ids differ from slugs on purpose). */
const USERS: Record<string, string> = { alice: "alice", bob: "bob", root: "root", carol: "carol" };

/**
 * Mounts `createBitbucketApi` on a node:http server over a harness on `store`: project `PRJ`
 * is project `P` (alice administers it, bob reads it), its repository `alpha` is `R1`; root is
 * a system admin; carol has no grants. Users sign in with Basic and {@link PASSWORD}; an access
 * token (Bearer, or Basic with a token as the password) signs in `via: "token"`.
 */
export async function startBitbucketServer(store?: TokenStore): Promise<BitbucketServer> {
  const harness = createHarness<TokenStore>(store ? { store } : {});
  const reported: unknown[] = [];
  const authenticate = async (request: Request): Promise<Actor | null> => {
    const header = request.headers.get("authorization");
    const parsed = parseAuthorization(header);
    if (!parsed.ok) return null;
    if (parsed.scheme === "basic" && parsed.password === PASSWORD) {
      const userId = USERS[parsed.username];
      return userId === undefined ? null : { userId, via: "session" };
    }
    const result = await harness.tokens.authenticate(header);
    if (!result.ok || result.principal.kind !== "user") return null;
    return { userId: result.principal.userId, via: "token" };
  };
  const handle = createBitbucketApi({
    tokens: harness.tokens,
    authenticate,
    resolveUser: (slug) => (Object.hasOwn(USERS, slug) ? (USERS[slug] ?? null) : null),
    resolveProject: (key) => (key === "PRJ" ? "P" : null),
    resolveRepository: (key, slug) =>
      key === "PRJ" && slug === "alpha" ? { projectId: "P", repositoryId: "R1" } : null,
    describeUser: (userId) => ({ name: userId, slug: userId, displayName: userId, type: "NORMAL" }),
    onError: (error) => {
      reported.push(error);
    },
  });
  const server: Server = createServer(toNodeListener(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    harness,
    handle,
    url,
    reported,
    client: (authorization) =>
      createBitbucketServerClient({
        baseUrl: `${url}/rest`,
        headers: authorization ? { authorization } : {},
      }),
    fetch: (path, init) => fetch(`${url}${path}`, init),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await harness.tokens.close();
    },
  };
}

/** Asserts the Bitbucket error shape and returns its one message. */
export function onlyError(body: unknown): {
  context: string | null;
  message: string;
  exceptionName: string;
} {
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    throw new Error(`not a Bitbucket error body: ${JSON.stringify(body)}`);
  }
  for (const error of errors) {
    if (
      typeof error !== "object" ||
      error === null ||
      !("context" in error) ||
      typeof error.message !== "string" ||
      typeof error.exceptionName !== "string" ||
      !error.exceptionName.startsWith("com.atlassian.bitbucket.")
    ) {
      throw new Error(`not a Bitbucket error: ${JSON.stringify(error)}`);
    }
  }
  return errors[0];
}

/** The five calls on a user's tokens (list, create, get, update, delete), in that order. */
export async function everyPersonalCall(
  client: BitbucketClient,
  userSlug: string,
  tokenId: string,
): Promise<{ response: Response; error?: unknown }[]> {
  const path = { userSlug, tokenId };
  return [
    await client.GET("/access-tokens/latest/users/{userSlug}", { params: { path: { userSlug } } }),
    await client.PUT("/access-tokens/latest/users/{userSlug}", {
      params: { path: { userSlug } },
      body: { name: "more", permissions: ["REPO_READ"] },
    }),
    await client.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", { params: { path } }),
    await client.POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
      params: { path },
      body: { name: "renamed" },
    }),
    await client.DELETE("/access-tokens/latest/users/{userSlug}/{tokenId}", { params: { path } }),
  ];
}

/**
 * For each test of the calling `describe`: a fresh store of `target` and a server over it,
 * closed afterwards, where the handler must have reported no failure. Read `current()` in tests.
 */
export function useBitbucketServer(target: StoreTarget): { current(): BitbucketServer } {
  let close: (() => Promise<void>) | undefined;
  let server: BitbucketServer | undefined;
  beforeEach(async () => {
    const opened = await target.open();
    server = await startBitbucketServer(opened.store);
    close = opened.close;
  });
  afterEach(async () => {
    expect(server?.reported).toEqual([]);
    await server?.close();
    await close?.();
  });
  return {
    current: () => {
      if (!server) throw new Error("no server outside a test");
      return server;
    },
  };
}
