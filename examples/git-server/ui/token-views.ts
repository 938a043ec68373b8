import type { TokenPage, TokenView } from "patkit";
import type { DemoHost } from "../demo-host.js";
import { type Html, html } from "./html.js";
import { csrfField, type Viewer } from "./layout.js";
import type { TokenArea } from "./token-areas.js";
import { describePermissions } from "./token-forms.js";

/** A time as people read it, in UTC: "2026-01-15 10:00 UTC", inside a `<time>` element. */
export function formatTime(at: Date | null, none = "Never"): Html {
  if (at === null) return html`${none}`;
  const text = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return html`<time datetime="${at.toISOString()}">${text}</time>`;
}

const STATUS_LABEL = { active: "Active", expired: "Expired", revoked: "Revoked" } as const;

/**
 * The lifecycle fields of patkit v0.2 (why a token was revoked, the addresses it was last used
 * from), read when the library in use has them: the screens show them without requiring them.
 */
type WithLifecycle = TokenView & {
  readonly revokedReason?: string | null;
  readonly replacedBy?: string | null;
  readonly lastUsedIps?: readonly string[];
};

const REASON_LABEL: Readonly<Record<string, string>> = {
  rotated: "rotated",
  leaked: "leaked",
  unused: "unused",
};

/**
 * A token's status as a badge: Active, Expired or Revoked (with why, when it was not by hand).
 * A rotated token in its grace period is active (it works) and says until when.
 */
export function statusBadge(token: TokenView): Html {
  const reason = (token as WithLifecycle).revokedReason;
  const why = token.status === "revoked" && reason ? REASON_LABEL[reason] : undefined;
  const badge = html`<span class="status status-${token.status}">${STATUS_LABEL[token.status]}</span>`;
  if (inGrace(token)) {
    return html`${badge} <span class="hint">(rotated; works until ${formatTime(token.revokedAt)})</span>`;
  }
  return html`${badge}${why ? html` <span class="hint">(${why})</span>` : ""}`;
}

/** True for a rotated token in its grace period: it still works, but its end is set. */
export function inGrace(token: TokenView): boolean {
  return token.status !== "revoked" && token.revokedAt !== null;
}

/** When a token last authenticated, and from which addresses (most recent first). */
function lastUsed(token: TokenView): Html {
  const addresses = (token as WithLifecycle).lastUsedIps ?? [];
  return html`${formatTime(token.lastAuthenticatedAt)}${addresses.length > 0 ? html`<br><span class="hint">from ${addresses.join(", ")}</span>` : ""}`;
}

/** The username of a user id, for "created by". */
function username(host: DemoHost, userId: string): string {
  return host.users.get(userId)?.username ?? userId;
}

/** The table of an area's tokens, with Edit, Rotate (where the viewer may create) and Revoke for the live ones. */
export function tokenTable(area: TokenArea, page: TokenPage, host: DemoHost): Html {
  if (page.items.length === 0) {
    return html`<p class="empty">No tokens yet.</p>`;
  }
  const rows = page.items.map((token) => {
    // A token in its grace period can only be revoked (ending the grace now): patkit refuses
    // to edit or rotate it again.
    const changeable = !inGrace(token);
    const actions =
      token.status === "revoked"
        ? ""
        : html`${changeable ? html`<a href="${area.basePath}/${token.id}/edit" aria-label="Edit ${token.name}">Edit</a>` : ""}
           ${changeable && area.canCreate && !(token as WithLifecycle).replacedBy ? html`<a href="${area.basePath}/${token.id}/rotate" aria-label="Rotate ${token.name}">Rotate</a>` : ""}
           <a href="${area.basePath}/${token.id}/revoke" class="danger" aria-label="Revoke ${token.name}">Revoke</a>`;
    return html`<tr>
      <th scope="row">${token.name}</th>
      <td>${describePermissions(token.permissions)}</td>
      <td>${formatTime(token.createdAt)}${area.owner.kind === "user" ? "" : html`<br><span class="hint">by ${username(host, token.createdBy)}</span>`}</td>
      <td>${formatTime(token.expiresAt)}</td>
      <td>${lastUsed(token)}</td>
      <td>${statusBadge(token)}</td>
      <td class="row-actions">${actions}</td>
    </tr>`;
  });
  const next = page.nextCursor
    ? html`<p><a href="${area.basePath}?cursor=${page.nextCursor}">Next page</a></p>`
    : "";
  return html`<table class="tokens">
    <caption class="visually-hidden">${area.heading}</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Permissions</th><th scope="col">Created</th>
    <th scope="col">Expiry</th><th scope="col">Last authenticated</th><th scope="col">Status</th>
    <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${rows}</tbody>
  </table>${next}`;
}

/** The page that shows a new token's secret: once, with a copy button and a warning. */
export function secretPanel(area: TokenArea, token: TokenView, secret: string): Html {
  return html`<div class="notice warning" role="alert">
      <p><strong>Copy the token now.</strong> It is shown this once: patkit keeps only a hash,
      so nobody can show it to you again.</p>
    </div>
    <div class="field secret">
      <label for="secret">Token “${token.name}”</label>
      <div class="copy-row">
        <input id="secret" type="text" value="${secret}" readonly autocomplete="off" spellcheck="false">
        <button type="button" class="primary" data-copy="secret">Copy</button>
      </div>
      <p class="hint" id="copy-status" role="status" aria-live="polite"></p>
    </div>
    ${area.usage ? html`<p>${area.usage}</p>` : ""}
    <dl class="facts">
      <dt>Permissions</dt><dd>${describePermissions(token.permissions)}</dd>
      <dt>Expiry</dt><dd>${formatTime(token.expiresAt)}</dd>
    </dl>
    <p><a href="${area.basePath}" class="button">I have copied it: back to the tokens</a></p>`;
}

/** The confirmation before a revocation. */
export function revokeConfirmation(viewer: Viewer, area: TokenArea, token: TokenView): Html {
  return html`<p>Anything that uses <strong>${token.name}</strong> (Git clients, scripts, CI jobs)
    stops working at once. A revoked token cannot be restored.</p>
    <dl class="facts">
      <dt>Permissions</dt><dd>${describePermissions(token.permissions)}</dd>
      <dt>Last authenticated</dt><dd>${formatTime(token.lastAuthenticatedAt)}</dd>
    </dl>
    <form method="post" action="${area.basePath}/${token.id}/revoke" class="actions">
      ${csrfField(viewer.session)}
      <button type="submit" class="danger">Revoke token</button>
      <a href="${area.basePath}">Cancel</a>
    </form>`;
}
