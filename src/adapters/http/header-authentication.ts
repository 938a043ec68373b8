import {
  type AccessTokens,
  type Awaitable,
  type Principal,
  parseAuthorization,
  type Requirement,
  StoreUnavailableError,
  type TokenActor,
  type TokenView,
  type VerifyResult,
} from "../../index.js";
import { type Challenges, createChallenges, DEFAULT_REALM } from "./challenges.js";
import { createRejection, type HttpRejection } from "./rejections.js";

/** The slice of `AccessTokens` the HTTP helpers use. */
export type TokenAuthenticator = Pick<AccessTokens, "authenticate">;

/**
 * What a request needs: a fixed requirement, `null` for "any valid token", or a function of the
 * request (e.g. of the route's project and repository) that answers either.
 */
export type RequirementSource<R> =
  | Requirement
  | null
  | undefined
  | ((request: R) => Awaitable<Requirement | null | undefined>);

/** Options shared by every HTTP helper. */
export interface HttpAuthOptions<R = unknown> {
  /** The realm of the `WWW-Authenticate` challenges; default `"patkit"`. */
  readonly realm?: string;
  /**
   * Also offer a `Basic` challenge on 401s, so that clients that send credentials only when
   * asked (Git over HTTP, curl with `-u`) send a personal token as the password. Default `false`.
   */
  readonly basicChallenge?: boolean;
  /**
   * The audit hook: called with every refusal and its reason (expired, revoked, ...) and the
   * request. Its errors and rejections are swallowed; it cannot change the response.
   */
  readonly onReject?: (rejection: HttpRejection, request: R) => unknown;
  /**
   * Where the client's address (for the token's `lastUsedIps`) comes from. Default `"peer"`:
   * the connection's peer address (Node's socket, Express's `req.ip`, Fastify's `request.ip`,
   * which follow their own trust-proxy settings; a Fetch `Request` has none). `{ header }`
   * reads a header that a trusted proxy sets (e.g. `"x-real-ip"`; for a list such as
   * `X-Forwarded-For`, the last entry, which your proxy appended). Never set a header that
   * clients can send past your proxy. A function answers it from the request; `false` records none.
   */
  readonly clientIp?: "peer" | { readonly header: string } | ((request: R) => unknown) | false;
}

/** How a helper reads a request's peer address and headers, for the `clientIp` option. */
export interface RequestAddressing<R> {
  readonly peer: (request: R) => unknown;
  readonly header: (request: R, name: string) => string | readonly string[] | null | undefined;
}

/** An authenticated request: who the token speaks for, the token, and how it was sent. */
export interface HttpAuthSuccess {
  readonly ok: true;
  readonly principal: Principal;
  readonly token: TokenView;
  readonly scheme: "bearer" | "basic";
  /**
   * The actor for management calls this request makes: `{ userId, via: "token" }` for a
   * personal token (so patkit refuses every change through it), `null` for a project or
   * repository token. Never build one from `principal.userId` without `via`.
   */
  readonly actor: TokenActor | null;
}

/** What the Express and Fastify helpers attach to an authenticated request as `patkit`. */
export type PatkitAuth = Omit<HttpAuthSuccess, "ok">;

/** The {@link PatkitAuth} of a success: its own object, without `ok`. */
export function patkitAuthOf(result: HttpAuthSuccess): PatkitAuth {
  return {
    principal: result.principal,
    token: result.token,
    scheme: result.scheme,
    actor: result.actor,
  };
}

/** The outcome of the framework-neutral {@link authenticateHeader}. */
export type HttpAuthResult = HttpAuthSuccess | HttpRejection;

/** Everything a helper prepares once from its options. */
export interface PreparedOptions<R> {
  readonly challenges: Challenges;
  readonly onReject: HttpAuthOptions<R>["onReject"];
  /** The client's address of a request, as the `clientIp` option says. */
  readonly clientIp: ((request: R) => unknown) | undefined;
}

/** Checks the options once (a bad realm throws `ValidationError`) so each request only reuses them. */
export function prepareOptions<R>(
  options: HttpAuthOptions<R> = {},
  addressing?: RequestAddressing<R>,
): PreparedOptions<R> {
  return {
    challenges: createChallenges(options.realm ?? DEFAULT_REALM, options.basicChallenge === true),
    onReject: options.onReject,
    clientIp: clientIpSource(options.clientIp ?? "peer", addressing),
  };
}

/**
 * {@link prepareOptions} for helpers that take their options on every call: each options object
 * is prepared once and remembered (weakly), so a host that passes the same object on every
 * request checks it once. Such an object is read when first seen: changing it later has no effect.
 */
export function preparedPerOptions<R>(
  addressing?: RequestAddressing<R>,
): (options: HttpAuthOptions<R> | undefined) => PreparedOptions<R> {
  const seen = new WeakMap<HttpAuthOptions<R>, PreparedOptions<R>>();
  let defaults: PreparedOptions<R> | undefined;
  return (options) => {
    if (options === undefined) {
      defaults ??= prepareOptions({}, addressing);
      return defaults;
    }
    let prepared = seen.get(options);
    if (prepared === undefined) {
      prepared = prepareOptions(options, addressing);
      seen.set(options, prepared);
    }
    return prepared;
  };
}

function clientIpSource<R>(
  option: NonNullable<HttpAuthOptions<R>["clientIp"]>,
  addressing: RequestAddressing<R> | undefined,
): ((request: R) => unknown) | undefined {
  if (option === false || addressing === undefined) {
    return typeof option === "function" ? option : undefined;
  }
  if (option === "peer") return addressing.peer;
  if (typeof option === "function") return option;
  const name = option.header.toLowerCase();
  return (request) => {
    const value = addressing.header(request, name);
    const last = typeof value === "string" ? value : value?.[value.length - 1];
    // A list (X-Forwarded-For): the entry the trusted proxy appended is the last one.
    return last?.slice(last.lastIndexOf(",") + 1).trim();
  };
}

const prepareHeaderOptions = preparedPerOptions<undefined>();

/**
 * Authenticates an `Authorization` header value against `requirement` and says how to answer:
 * an {@link HttpAuthSuccess}, or an {@link HttpRejection} with the RFC 6750 status, challenges and
 * JSON body. The framework helpers are thin layers over this; use it for any other stack.
 *
 * Resolves for every bad credential and when the store is unavailable (503). Rejects only for
 * programming errors (an invalid requirement, a failing host callback), which belong to the
 * framework's error handler.
 */
export async function authenticateHeader(
  tokens: TokenAuthenticator,
  header: string | null | undefined,
  requirement: Requirement | null | undefined,
  options?: HttpAuthOptions<undefined>,
): Promise<HttpAuthResult> {
  return authenticateWith(tokens, header, requirement, prepareHeaderOptions(options), undefined);
}

/** {@link authenticateHeader} with prepared options and the request for the hook. */
export async function authenticateWith<R>(
  tokens: TokenAuthenticator,
  header: unknown,
  requirement: Requirement | null | undefined,
  prepared: PreparedOptions<R>,
  request: R,
): Promise<HttpAuthResult> {
  const parsed = parseAuthorization(header);
  if (!parsed.ok)
    return reject(createRejection(parsed.reason, prepared.challenges), prepared, request);
  let result: VerifyResult;
  try {
    const clientIp = prepared.clientIp?.(request);
    // The credential as parsed above: the core does not read the header again.
    result = await tokens.authenticate(
      parsed,
      requirement ?? null,
      typeof clientIp === "string" ? { clientIp } : undefined,
    );
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    return reject(
      createRejection("store_unavailable", prepared.challenges, { error }),
      prepared,
      request,
    );
  }
  if (result.ok) {
    return {
      ok: true,
      principal: result.principal,
      token: result.token,
      scheme: parsed.scheme,
      actor: result.actor,
    };
  }
  const details = {
    ...(result.tokenId !== undefined && { tokenId: result.tokenId }),
    ...(result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
  };
  return reject(createRejection(result.reason, prepared.challenges, details), prepared, request);
}

/** Resolves a {@link RequirementSource} for one request. */
export async function resolveRequirement<R>(
  source: RequirementSource<R>,
  request: R,
): Promise<Requirement | null | undefined> {
  return typeof source === "function" ? source(request) : source;
}

function reject<R>(rejection: HttpRejection, prepared: PreparedOptions<R>, request: R) {
  const hook = prepared.onReject;
  if (hook) {
    try {
      const outcome = hook(rejection, request) as PromiseLike<unknown> | undefined;
      if (typeof outcome?.then === "function") outcome.then(undefined, () => {});
    } catch {
      // An audit hook that fails must not change the answer.
    }
  }
  return rejection;
}
