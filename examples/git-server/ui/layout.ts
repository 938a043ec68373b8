import type { DemoUser } from "../demo-host.js";
import { type Html, html, type Interpolation } from "./html.js";
import type { UiSession } from "./sessions.js";

/** Who is looking at a page: the signed-in user and their session (for the CSRF field). */
export interface Viewer {
  readonly user: DemoUser;
  readonly session: UiSession;
  readonly isSystemAdmin: boolean;
}

/** The hidden field every form that changes something carries. */
export function csrfField(session: UiSession): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;
}

/** One link of the main navigation. */
interface NavLink {
  readonly href: string;
  readonly label: string;
}

function navigation(viewer: Viewer, current: string): Html {
  const links: NavLink[] = [
    { href: "/account/tokens", label: "My HTTP access tokens" },
    { href: "/projects", label: "Projects" },
  ];
  if (viewer.isSystemAdmin) links.push({ href: "/admin", label: "Administration" });
  return html`<nav aria-label="Main"><ul>${links.map(
    (link) =>
      html`<li><a href="${link.href}"${current.startsWith(link.href) ? html` aria-current="page"` : ""}>${link.label}</a></li>`,
  )}</ul></nav>
  <form method="post" action="/logout" class="sign-out">${csrfField(viewer.session)}
    <span>Signed in as <strong>${viewer.user.username}</strong></span>
    <button type="submit">Sign out</button>
  </form>`;
}

/**
 * The document around every page: a skip link, the header with the navigation (when signed in),
 * and `main` holding the page's one `h1`.
 */
export function layout(options: {
  readonly title: string;
  readonly viewer: Viewer | null;
  readonly current?: string;
  readonly body: Interpolation;
}): Html {
  const { title, viewer, body } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · patkit demo</title>
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">patkit demo</a>
  ${viewer ? navigation(viewer, options.current ?? "") : ""}
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>`;
}

/** A breadcrumb trail above a page's heading. */
export function breadcrumbs(trail: readonly NavLink[]): Html {
  return html`<nav aria-label="Breadcrumb" class="breadcrumbs"><ol>${trail.map(
    (link) => html`<li><a href="${link.href}">${link.label}</a></li>`,
  )}</ol></nav>`;
}

/** A page that only says why it cannot show what was asked (403, 404, 503). */
export function problemPage(viewer: Viewer | null, title: string, message: string): Html {
  return layout({
    title,
    viewer,
    body: html`<h1>${title}</h1><p class="notice error" role="alert">${message}</p>
      <p><a href="/">Back to the start page</a></p>`,
  });
}
