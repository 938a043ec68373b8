import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AccessTokens, type Actor, parseAuthorization } from "patkit";
import { authenticateNodeRequest, type HttpAuthOptions } from "patkit/http";
import type { DemoHost } from "./demo-host.js";
import { sendError } from "./json.js";

/**
 * DEMO ONLY: every demo user signs in to the management API with this password over HTTP Basic
 * (`curl -u alice:demo ...`), standing in for a real host's session (a login form and cookie,
 * SSO, ...). It opens the management API only, never Git.
 */
export const DEMO_PASSWORD = "demo";

const DEMO_PASSWORD_BYTES = Buffer.from(DEMO_PASSWORD);

/**
 * Who is calling the management API: a user signed in with the demo password
 * (`via: "session"`), or the owner of a personal access token (`via: "token"`), whom patkit then
 * refuses for every change. Answers the request itself (401/403) and returns `null` otherwise.
 */
export async function managementActor(
  request: IncomingMessage,
  response: ServerResponse,
  context: { tokens: AccessTokens; host: DemoHost; auth: HttpAuthOptions<IncomingMessage> },
): Promise<Actor | null> {
  const header = request.headers.authorization;
  const parsed = parseAuthorization(header);
  if (parsed.ok && parsed.scheme === "basic" && isDemoPassword(parsed.password)) {
    const user = context.host.userByName(parsed.username);
    if (user?.active) return { userId: user.id, via: "session" };
    response.setHeader("WWW-Authenticate", `Basic realm="patkit demo"`);
    sendError(response, 401, "UNAUTHORIZED", "Unknown or inactive user, or wrong password");
    return null;
  }
  const auth = await authenticateNodeRequest(context.tokens, request, response, null, context.auth);
  if (!auth.ok) return null;
  // The verified request's own actor: { userId, via: "token" }, or null for project and
  // repository tokens, which speak for no user.
  if (auth.actor === null) {
    sendError(
      response,
      403,
      "FORBIDDEN",
      "Project and repository tokens cannot use the token management API",
    );
    return null;
  }
  return auth.actor;
}

/** Whether `password` is the demo password, compared in constant time. */
export function isDemoPassword(password: string): boolean {
  const given = Buffer.from(password);
  return given.length === DEMO_PASSWORD_BYTES.length && timingSafeEqual(given, DEMO_PASSWORD_BYTES);
}
