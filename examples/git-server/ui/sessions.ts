import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Clock } from "patkit";

/** The name of the demo's session cookie. */
export const SESSION_COOKIE = "patkit_demo_session";

/** How long a session lasts without a request. */
const IDLE_MS = 8 * 60 * 60 * 1000;

/**
 * A browser session of the demo UI. Every session, signed in or not, carries its own CSRF token:
 * each form posts it back, so a page on another origin (which cannot read it) changes nothing.
 */
export interface UiSession {
  readonly id: string;
  readonly csrfToken: string;
  /** `null` until the visitor signs in. */
  readonly userId: string | null;
  lastSeen: number;
}

/**
 * The demo's own sessions, in memory: they stand in for the host application's sign-in and are
 * not patkit's business. Ids are 256 random bits; a sign-in issues a new id (no fixation).
 */
export class UiSessions {
  private readonly sessions = new Map<string, UiSession>();

  constructor(private readonly clock: Clock) {}

  /** The live session a request's cookie names, or `undefined`. */
  find(request: IncomingMessage): UiSession | undefined {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.now().getTime();
    if (now - session.lastSeen > IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  /** A new session, anonymous (`userId` null) or signed in. */
  start(userId: string | null): UiSession {
    const session: UiSession = {
      id: randomBytes(32).toString("base64url"),
      csrfToken: randomBytes(32).toString("base64url"),
      userId,
      lastSeen: this.clock.now().getTime(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  end(session: UiSession): void {
    this.sessions.delete(session.id);
  }
}

/**
 * The `Set-Cookie` value of a session: `HttpOnly` (no script reads it), `SameSite=Strict` (no
 * other site sends it), `Path=/`. A real host served over HTTPS adds `Secure`; the demo runs on
 * plain http://127.0.0.1, where browsers would drop a `Secure` cookie.
 */
export function sessionCookie(session: UiSession | null): string {
  if (session === null) return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  return `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict`;
}

/** Whether a posted CSRF token is the session's, compared in constant time. */
export function isSessionCsrfToken(session: UiSession, posted: string | undefined): boolean {
  if (posted === undefined) return false;
  const given = Buffer.from(posted);
  const expected = Buffer.from(session.csrfToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const separator = part.indexOf("=");
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      return part.slice(separator + 1).trim();
    }
  }
  return undefined;
}
