import { DAY_MS, type Owner, type Policy, type PolicyInput, type TokenView } from "patkit";
import type { DemoHost } from "../demo-host.js";
import { actorOf, type ScreenRequest, type UiContext } from "./context.js";
import { fieldset, formError, textField } from "./fields.js";
import { type FormErrors, formErrorsOf, NO_ERRORS } from "./form-errors.js";
import { type Html, html } from "./html.js";
import { breadcrumbs, csrfField, layout, problemPage, type Viewer } from "./layout.js";
import { redirect, sendPage } from "./responses.js";
import { describePermissions } from "./token-forms.js";
import { formatTime } from "./token-views.js";

const ADMIN_TRAIL = [{ href: "/admin", label: "Administration" }];

function adminPage(viewer: Viewer, title: string, body: Html): Html {
  return layout({
    title,
    viewer,
    current: "/admin",
    body: html`${breadcrumbs(ADMIN_TRAIL)}<h1>${title}</h1>${body}`,
  });
}

/**
 * The administration screens, for system admins: the index, Users, the token policy
 * (System > HTTP access tokens) and the tokens that do not comply with it. Returns false for
 * paths that are none of them.
 */
export async function handleAdmin(
  segments: readonly string[],
  screen: ScreenRequest,
  ui: UiContext,
): Promise<boolean> {
  const { viewer, response } = screen;
  const path = segments.join("/");
  if (!["admin", "admin/users", "admin/tokens", "admin/tokens/non-compliant"].includes(path)) {
    return false;
  }
  if (!viewer.isSystemAdmin) {
    sendPage(
      response,
      403,
      problemPage(viewer, "Not allowed", "Only system admins see the administration."),
    );
    return true;
  }
  if (screen.form !== null && path !== "admin/tokens") return false;
  if (path === "admin") sendPage(response, 200, adminIndex(viewer));
  else if (path === "admin/users") sendPage(response, 200, usersPage(viewer, ui.host));
  else if (path === "admin/tokens") await policyScreen(screen, ui);
  else await nonCompliantScreen(screen, ui);
  return true;
}

function adminIndex(viewer: Viewer): Html {
  return layout({
    title: "Administration",
    viewer,
    current: "/admin",
    body: html`<h1>Administration</h1>
      <ul class="link-list">
        <li><a href="/admin/users">Users</a>: each user's HTTP access tokens (edit, revoke)</li>
        <li><a href="/admin/tokens">System: HTTP access tokens</a>: the token policy</li>
        <li><a href="/admin/tokens/non-compliant">Tokens that do not comply with the policy</a></li>
      </ul>`,
  });
}

function usersPage(viewer: Viewer, host: DemoHost): Html {
  const rows = [...host.users.values()].map(
    (user) => html`<tr>
      <th scope="row">${user.displayName}</th><td><code>${user.username}</code></td>
      <td>${user.active ? "Active" : "Deactivated"}</td><td>${user.systemAdmin ? "System admin" : "User"}</td>
      <td><a href="/admin/users/${user.username}/tokens" aria-label="HTTP access tokens of ${user.username}">HTTP access tokens</a></td>
    </tr>`,
  );
  return adminPage(
    viewer,
    "Users",
    html`<table><thead><tr><th scope="col">Name</th><th scope="col">Username</th>
      <th scope="col">Status</th><th scope="col">Role</th><th scope="col"><span class="visually-hidden">Tokens</span></th></tr></thead>
      <tbody>${rows}</tbody></table>`,
  );
}

/** The policy form's values as typed. */
interface PolicyValues {
  readonly expiryRequired: string;
  readonly maxExpiryDays: string;
  readonly maxTokensPerOwner: string;
  readonly revokeUnusedAfterDays: string;
}

function valuesOf(policy: Policy): PolicyValues {
  return {
    expiryRequired: policy.expiryRequired ? "yes" : "no",
    maxExpiryDays: policy.maxExpiryDays === null ? "" : String(policy.maxExpiryDays),
    maxTokensPerOwner: policy.maxTokensPerOwner == null ? "" : String(policy.maxTokensPerOwner),
    revokeUnusedAfterDays:
      policy.revokeUnusedAfterDays == null ? "" : String(policy.revokeUnusedAfterDays),
  };
}

/** The policy the form asks for, unchecked: patkit judges it and its refusals go next to the fields. */
function policyInputOf(values: PolicyValues): PolicyInput {
  const number = (text: string) => (text.trim() === "" ? null : Number(text));
  const required = { yes: true, no: false }[values.expiryRequired] ?? values.expiryRequired;
  return {
    expiryRequired: required as boolean,
    maxExpiryDays: number(values.maxExpiryDays),
    maxTokensPerOwner: number(values.maxTokensPerOwner),
    revokeUnusedAfterDays: number(values.revokeUnusedAfterDays),
  };
}

function policyForm(
  viewer: Viewer,
  values: PolicyValues,
  errors: FormErrors,
  saved: boolean,
): Html {
  const radio = (value: string, label: string) =>
    html`<label class="inline"><input type="radio" name="expiryRequired" value="${value}"${values.expiryRequired === value ? html` checked` : ""}> ${label}</label>`;
  return html`<p class="intro">New tokens must satisfy this policy; existing tokens keep working
    and are listed under <a href="/admin/tokens/non-compliant">tokens that do not comply</a>.</p>
    ${saved ? html`<p class="notice success" role="status">The policy was saved.</p>` : ""}
    <form method="post" action="/admin/tokens" class="policy-form" novalidate>
      ${csrfField(viewer.session)}
      ${formError(errors.form)}
      ${fieldset({
        id: "expiryRequired",
        legend: "Expiry required",
        hint: "When required, new tokens cannot be created without an expiry date.",
        ...(errors.fields.expiryRequired ? { error: "Choose Yes or No." } : {}),
        body: html`${radio("yes", "Yes")}${radio("no", "No")}`,
      })}
      ${textField({
        id: "maxExpiryDays",
        label: "Max days until expiry",
        value: values.maxExpiryDays,
        type: "number",
        hint: "The longest expiry a new token may have. Leave empty for no maximum.",
        ...(errors.fields.maxExpiryDays ? { error: errors.fields.maxExpiryDays } : {}),
        attributes: html` inputmode="numeric" min="1" max="36500"`,
      })}
      ${textField({
        id: "maxTokensPerOwner",
        label: "Maximum active tokens per owner",
        value: values.maxTokensPerOwner,
        type: "number",
        hint: "How many active tokens one user, project or repository may hold. Leave empty for no limit.",
        ...(errors.fields.maxTokensPerOwner ? { error: errors.fields.maxTokensPerOwner } : {}),
        attributes: html` inputmode="numeric" min="1"`,
      })}
      ${textField({
        id: "revokeUnusedAfterDays",
        label: "Revoke tokens unused for (days)",
        value: values.revokeUnusedAfterDays,
        type: "number",
        hint: "Maintenance revokes active tokens nobody has used for this many days. Leave empty to keep unused tokens.",
        ...(errors.fields.revokeUnusedAfterDays
          ? { error: errors.fields.revokeUnusedAfterDays }
          : {}),
        attributes: html` inputmode="numeric" min="1"`,
      })}
      <div class="actions"><button type="submit" class="primary">Save</button></div>
    </form>`;
}

async function policyScreen(screen: ScreenRequest, ui: UiContext): Promise<void> {
  const { viewer, form, response, url } = screen;
  const title = "System: HTTP access tokens";
  if (form === null) {
    const policy = await ui.tokens.getPolicy();
    const saved = url.searchParams.get("done") === "saved";
    sendPage(
      response,
      200,
      adminPage(viewer, title, policyForm(viewer, valuesOf(policy), NO_ERRORS, saved)),
    );
    return;
  }
  const values: PolicyValues = {
    expiryRequired: form.get("expiryRequired") ?? "",
    maxExpiryDays: form.get("maxExpiryDays") ?? "",
    maxTokensPerOwner: form.get("maxTokensPerOwner") ?? "",
    revokeUnusedAfterDays: form.get("revokeUnusedAfterDays") ?? "",
  };
  try {
    await ui.tokens.setPolicy(policyInputOf(values), actorOf(viewer));
    redirect(response, "/admin/tokens?done=saved");
  } catch (error) {
    const errors = formErrorsOf(error, "");
    sendPage(response, 422, adminPage(viewer, title, policyForm(viewer, values, errors, false)));
  }
}

/** Where an owner's tokens are managed, and how to name the owner. */
export function ownerPlace(owner: Owner, host: DemoHost): { label: string; basePath: string } {
  if (owner.kind === "user") {
    const name = host.users.get(owner.userId)?.username ?? owner.userId;
    return { label: `User ${name}`, basePath: `/admin/users/${encodeURIComponent(name)}/tokens` };
  }
  const key = host.projects.get(owner.projectId)?.key ?? owner.projectId;
  if (owner.kind === "project") {
    return { label: `Project ${key}`, basePath: `/projects/${key}/settings/tokens` };
  }
  const slug = host.repositories.get(owner.repositoryId)?.slug ?? owner.repositoryId;
  return {
    label: `Repository ${key}/${slug}`,
    basePath: `/projects/${key}/repos/${slug}/settings/tokens`,
  };
}

/** Why a live token breaks the policy, in words. */
function whyNotCompliant(token: TokenView, policy: Policy): string {
  if (token.expiresAt === null) return "No expiry, but the policy requires one";
  const days = Math.ceil((token.expiresAt.getTime() - token.createdAt.getTime()) / DAY_MS);
  return `Valid for ${days} days; the policy allows ${policy.maxExpiryDays}`;
}

async function nonCompliantScreen(screen: ScreenRequest, ui: UiContext): Promise<void> {
  const { viewer, response, url } = screen;
  const policy = await ui.tokens.getPolicy();
  const page = await ui.tokens.listNonCompliant(
    { cursor: url.searchParams.get("cursor"), limit: 25 },
    actorOf(viewer),
  );
  const rows = page.items.map((token) => {
    const place = ownerPlace(token.owner, ui.host);
    return html`<tr>
      <th scope="row">${token.name}</th><td>${place.label}</td>
      <td>${describePermissions(token.permissions)}</td><td>${formatTime(token.createdAt)}</td>
      <td>${formatTime(token.expiresAt)}</td><td>${whyNotCompliant(token, policy)}</td>
      <td><a href="${place.basePath}/${token.id}/edit" aria-label="Edit ${token.name}">Edit</a>
      <a href="${place.basePath}/${token.id}/revoke" class="danger" aria-label="Revoke ${token.name}">Revoke</a></td>
    </tr>`;
  });
  const body =
    page.items.length === 0
      ? html`<p class="empty">Every active token complies with the policy.</p>`
      : html`<table><thead><tr><th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Permissions</th>
        <th scope="col">Created</th><th scope="col">Expiry</th><th scope="col">Why</th>
        <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${rows}</tbody></table>
        ${page.nextCursor ? html`<p><a href="/admin/tokens/non-compliant?cursor=${page.nextCursor}">Next page</a></p>` : ""}`;
  sendPage(
    response,
    200,
    adminPage(
      viewer,
      "Tokens that do not comply with the policy",
      html`<p class="intro">Active tokens created before the current <a href="/admin/tokens">policy</a>
        that a new token could not be created like. They keep working until they expire or are revoked.</p>${body}`,
    ),
  );
}
