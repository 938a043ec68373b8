import type { IncomingMessage, ServerResponse } from "node:http";
import { DEMO_PASSWORD, isDemoPassword } from "../sessions.js";
import type { UiContext } from "./context.js";
import { formError, textField } from "./fields.js";
import { html } from "./html.js";
import { csrfField, layout } from "./layout.js";
import { readForm, redirect, sendPage } from "./responses.js";
import { isSessionCsrfToken, sessionCookie, type UiSession } from "./sessions.js";

/** Where to go after signing in: a path of this site only (never `//elsewhere` or a URL). */
export function safeNext(next: string | null): string {
  if (next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")) return next;
  return "/account/tokens";
}

function signInPage(
  session: UiSession,
  ui: UiContext,
  next: string,
  username: string,
  error?: string,
) {
  const users = [...ui.host.users.values()];
  return layout({
    title: "Sign in",
    viewer: null,
    body: html`<h1>Sign in</h1>
      <form method="post" action="/login" class="sign-in" novalidate>
        ${csrfField(session)}
        <input type="hidden" name="next" value="${next}">
        ${formError(error)}
        ${textField({ id: "username", label: "Username", value: username, attributes: html` autocomplete="username" required autofocus` })}
        ${textField({ id: "password", label: "Password", value: "", type: "password", attributes: html` autocomplete="current-password" required` })}
        <div class="actions"><button type="submit" class="primary">Sign in</button></div>
      </form>
      <section aria-labelledby="demo-users">
        <h2 id="demo-users">Demo users</h2>
        <p>Every demo user's password is <code>${DEMO_PASSWORD}</code>.</p>
        <table>
          <thead><tr><th scope="col">Username</th><th scope="col">Who</th><th scope="col">Active</th></tr></thead>
          <tbody>${users.map(
            (user) =>
              html`<tr><td><code>${user.username}</code></td><td>${user.displayName}</td><td>${user.active ? "Yes" : "No"}</td></tr>`,
          )}</tbody>
        </table>
      </section>`,
  });
}

/**
 * `GET /login` shows the form in a fresh anonymous session (whose CSRF token the form carries);
 * `POST /login` checks the demo password and starts a new, signed-in session.
 */
export async function handleSignIn(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  ui: UiContext,
): Promise<void> {
  const existing = ui.sessions.find(request);
  if (request.method !== "POST") {
    const session = existing?.userId === null ? existing : ui.sessions.start(null);
    response.setHeader("Set-Cookie", sessionCookie(session));
    sendPage(response, 200, signInPage(session, ui, safeNext(url.searchParams.get("next")), ""));
    return;
  }
  const form = await readForm(request);
  if (!existing || !form || !isSessionCsrfToken(existing, form.get("_csrf") ?? undefined)) {
    // The form's session ended (or never was): start over with a fresh form.
    redirect(response, "/login");
    return;
  }
  const username = form.get("username") ?? "";
  const next = safeNext(form.get("next"));
  const user = ui.host.userByName(username.trim());
  if (!user?.active || !isDemoPassword(form.get("password") ?? "")) {
    sendPage(
      response,
      401,
      signInPage(
        existing,
        ui,
        next,
        username,
        "Wrong username or password, or the account is deactivated.",
      ),
    );
    return;
  }
  ui.sessions.end(existing);
  redirect(response, next, sessionCookie(ui.sessions.start(user.id)));
}

/** `POST /logout` (its CSRF token checked by the router): ends the session. */
export function handleSignOut(response: ServerResponse, session: UiSession, ui: UiContext): void {
  ui.sessions.end(session);
  redirect(response, "/login", sessionCookie(null));
}
