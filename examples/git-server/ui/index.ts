import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type AccessTokens,
  type Clock,
  ForbiddenError,
  NotFoundError,
  StoreUnavailableError,
  systemClock,
  ValidationError,
} from "patkit";
import type { DemoHost } from "../demo-host.js";
import { handleAdmin } from "./admin-screens.js";
import type { ScreenRequest, UiContext } from "./context.js";
import { problemPage, type Viewer } from "./layout.js";
import { projectsPage } from "./projects-screen.js";
import { isSameOrigin, readForm, redirect, sendAsset, sendPage } from "./responses.js";
import { isSessionCsrfToken, UiSessions } from "./sessions.js";
import { handleSignIn, handleSignOut } from "./sign-in.js";
import { findArea } from "./token-areas.js";
import { handleTokenArea } from "./token-routes.js";

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
const ASSETS: Readonly<Record<string, { type: string; body: string }>> = {
  "/ui/app.css": { type: "text/css; charset=utf-8", body: asset("app.css") },
  "/ui/app.js": { type: "text/javascript; charset=utf-8", body: asset("app.js") },
};

/** The first path segments the screens answer; everything else is the server's (Git, REST). */
const UI_ROOTS = new Set(["login", "logout", "account", "projects", "admin"]);

/** Options of {@link createUi}. */
export interface UiOptions {
  readonly tokens: AccessTokens;
  readonly host: DemoHost;
  /** Sessions expire on this clock (tests pass their manual clock); default the system clock. */
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
}

/** The demo's screens as one request handler. */
export interface Ui {
  /** Answers the request when it is for a screen; resolves to false when it is not. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

/**
 * The HTTP access token screens of the demo, server-rendered: sign-in, a user's tokens, a
 * project's and a repository's, the administration (users, policy, non-compliant tokens). They
 * call patkit directly, as a host's own UI would.
 */
export function createUi(options: UiOptions): Ui {
  const clock = options.clock ?? systemClock;
  const ui: UiContext = {
    tokens: options.tokens,
    host: options.host,
    sessions: new UiSessions(clock),
    clock,
    log: options.log ?? (() => {}),
  };
  return {
    async handle(request, response, url) {
      const method = request.method ?? "GET";
      const known = ASSETS[url.pathname];
      if (known && method === "GET") {
        sendAsset(response, known.type, known.body);
        return true;
      }
      if (url.pathname === "/" && method === "GET" && acceptsHtml(request)) {
        const session = ui.sessions.find(request);
        redirect(response, session?.userId ? "/account/tokens" : "/login");
        return true;
      }
      const segments = url.pathname.split("/").filter((segment) => segment !== "");
      if (!UI_ROOTS.has(segments[0] ?? "")) return false;
      if (method !== "GET" && method !== "POST") {
        request.resume();
        response.setHeader("Allow", "GET, POST");
        sendPage(response, 405, problemPage(null, "Not allowed", "Use GET or POST."));
        return true;
      }
      try {
        await route(segments, request, response, url, ui);
      } catch (error) {
        sendProblem(response, error, ui);
      }
      return true;
    },
  };
}

function acceptsHtml(request: IncomingMessage): boolean {
  return (request.headers.accept ?? "").includes("text/html");
}

async function route(
  segments: string[],
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  ui: UiContext,
): Promise<void> {
  if (segments.length === 1 && segments[0] === "login") {
    return handleSignIn(request, response, url, ui);
  }
  const session = ui.sessions.find(request);
  const user = session?.userId ? ui.host.users.get(session.userId) : undefined;
  if (!session || !user?.active) {
    request.resume();
    if (request.method === "GET") {
      return redirect(response, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
    }
    return sendPage(
      response,
      403,
      problemPage(null, "Signed out", "Sign in again: nothing was changed."),
    );
  }
  const viewer: Viewer = {
    user,
    session,
    isSystemAdmin: await ui.host.access.isSystemAdmin(user.id),
  };
  let form: URLSearchParams | null = null;
  if (request.method === "POST") {
    // Every change needs this session's CSRF token, from a page of this origin.
    if (isSameOrigin(request)) form = await readForm(request);
    else request.resume();
    if (form === null || !isSessionCsrfToken(session, form.get("_csrf") ?? undefined)) {
      return sendPage(
        response,
        403,
        problemPage(
          viewer,
          "Refused",
          "This form came from another site or has expired: nothing was changed.",
        ),
      );
    }
  }
  const screen: ScreenRequest = { request, response, url, viewer, form };
  if (segments.length === 1 && segments[0] === "logout" && form !== null) {
    return handleSignOut(response, session, ui);
  }
  if (segments.length === 1 && segments[0] === "projects" && form === null) {
    return sendPage(response, 200, await projectsPage(viewer, ui.host));
  }
  const area = await findArea(segments, viewer, ui.host);
  if (area !== null && "refused" in area) {
    const title = area.refused === 403 ? "Not allowed" : "Not found";
    return sendPage(response, area.refused, problemPage(viewer, title, area.message));
  }
  if (area !== null && (await handleTokenArea(area.area, area.rest, screen, ui))) return;
  if (area === null && (await handleAdmin(segments, screen, ui))) return;
  sendPage(response, 404, problemPage(viewer, "Not found", "There is no such page."));
}

/** A refusal that is not a form problem, as a page; anything unexpected is logged, not shown. */
function sendProblem(response: ServerResponse, error: unknown, ui: UiContext): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof ForbiddenError) {
    sendPage(response, 403, problemPage(null, "Not allowed", `${error.message}.`));
  } else if (error instanceof NotFoundError || error instanceof ValidationError) {
    sendPage(response, 404, problemPage(null, "Not found", "There is no such token."));
  } else if (error instanceof StoreUnavailableError) {
    sendPage(
      response,
      503,
      problemPage(null, "Unavailable", "The token store does not answer: try again in a moment."),
    );
  } else {
    ui.log(`ui error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendPage(response, 500, problemPage(null, "Something went wrong", "The error was logged."));
  }
}
