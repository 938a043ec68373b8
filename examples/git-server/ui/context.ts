import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessTokens, Actor, Clock } from "patkit";
import type { DemoHost } from "../demo-host.js";
import type { Viewer } from "./layout.js";
import type { UiSessions } from "./sessions.js";

/** What the screens need: the library, the host's model, the sessions and the clock. */
export interface UiContext {
  readonly tokens: AccessTokens;
  readonly host: DemoHost;
  readonly sessions: UiSessions;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

/** One request to a screen, with its signed-in viewer and, for a POST, its checked form. */
export interface ScreenRequest {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly url: URL;
  readonly viewer: Viewer;
  /** The posted form (CSRF token already checked), or `null` for a GET. */
  readonly form: URLSearchParams | null;
}

/** The actor patkit sees for a signed-in viewer: a session, never a token. */
export function actorOf(viewer: Viewer): Actor {
  return { userId: viewer.user.id, via: "session" };
}
