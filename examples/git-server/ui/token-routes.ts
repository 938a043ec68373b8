import { type AccessTokens, NotFoundError, type TokenView } from "patkit";
import { ownerKey } from "patkit/store";
import { actorOf, type ScreenRequest, type UiContext } from "./context.js";
import { type FormErrors, formErrorsOf, NO_ERRORS } from "./form-errors.js";
import { type Html, html } from "./html.js";
import { breadcrumbs, layout, type Viewer } from "./layout.js";
import { redirect, sendPage } from "./responses.js";
import type { TokenArea } from "./token-areas.js";
import {
  createForm,
  currentValues,
  editForm,
  expiryDaysOf,
  freshCreateValues,
  permissionsOf,
  postedValues,
  type TokenFormValues,
} from "./token-forms.js";
import { rotateForm, rotateOptionsOf, rotationDone } from "./token-rotation.js";
import { inGrace, revokeConfirmation, secretPanel, tokenTable } from "./token-views.js";

/** The status line the list shows after a change (a query flag: never anything secret). */
const DONE_MESSAGES: Readonly<Record<string, string>> = {
  updated: "The token was saved.",
  revoked: "The token was revoked: it no longer authenticates.",
};

/** Answers with a page of the area: its breadcrumbs, its heading, then `body`. */
function sendAreaPage(
  screen: ScreenRequest,
  area: TokenArea,
  status: number,
  title: string,
  body: Html,
  h1 = title,
): void {
  const page = layout({
    title,
    viewer: screen.viewer,
    current: area.section,
    body: html`${breadcrumbs(area.trail)}<h1>${h1}</h1>${body}`,
  });
  sendPage(screen.response, status, page);
}

/**
 * The screens of one token area: the list (`GET`), create (`new`), edit (`{id}/edit`), rotate
 * (`{id}/rotate`, where tokens can be created) and revoke (`{id}/revoke`, a confirmation first).
 * Returns false when the path is none of them.
 */
export async function handleTokenArea(
  area: TokenArea,
  rest: readonly string[],
  screen: ScreenRequest,
  ui: UiContext,
): Promise<boolean> {
  const [first, second] = rest;
  if (rest.length === 0 && screen.form === null) {
    await listScreen(area, screen, ui);
    return true;
  }
  if (rest.length === 1 && first === "new" && area.canCreate) {
    await createScreen(area, screen, ui);
    return true;
  }
  if (rest.length === 2 && first !== undefined && (second === "edit" || second === "revoke")) {
    const token = await ownedToken(ui.tokens, area, first, screen.viewer);
    if (second === "edit") await editScreen(area, token, screen, ui);
    else await revokeScreen(area, token, screen, ui);
    return true;
  }
  // Rotating creates a token: offered only where the viewer may create the owner's tokens.
  if (rest.length === 2 && first !== undefined && second === "rotate" && area.canCreate) {
    const token = await ownedToken(ui.tokens, area, first, screen.viewer);
    await rotateScreen(area, token, screen, ui);
    return true;
  }
  return false;
}

async function listScreen(area: TokenArea, screen: ScreenRequest, ui: UiContext) {
  const { viewer, url } = screen;
  const page = await ui.tokens.list(
    { owner: area.owner, cursor: url.searchParams.get("cursor"), limit: 25 },
    actorOf(viewer),
  );
  const done = DONE_MESSAGES[url.searchParams.get("done") ?? ""];
  const body = html`<p class="intro">${area.intro}</p>
    ${done ? html`<p class="notice success" role="status">${done}</p>` : ""}
    ${area.canCreate ? html`<p><a class="button primary" href="${area.basePath}/new">Create token</a></p>` : ""}
    ${tokenTable(area, page, ui.host)}`;
  sendAreaPage(screen, area, 200, area.heading, body);
}

async function createScreen(area: TokenArea, screen: ScreenRequest, ui: UiContext) {
  const { viewer, form } = screen;
  const policy = await ui.tokens.getPolicy();
  const show = (values: TokenFormValues, errors: FormErrors, status: number) =>
    sendAreaPage(
      screen,
      area,
      status,
      "Create an HTTP access token",
      createForm(viewer, area, policy, values, errors),
    );
  if (form === null) return show(freshCreateValues(policy, area), NO_ERRORS, 200);
  const values = postedValues(form);
  try {
    const created = await ui.tokens.create(
      {
        owner: area.owner,
        name: values.name,
        permissions: permissionsOf(values, area),
        expiryDays: expiryDaysOf(values),
      },
      actorOf(viewer),
    );
    // The secret goes into this response only: not into a URL, a redirect or a log line, and
    // the page is not stored (sendPage sets Cache-Control: no-store).
    sendAreaPage(
      screen,
      area,
      200,
      "Token created",
      secretPanel(area, created.token, created.secret),
    );
  } catch (error) {
    show(values, formErrorsOf(error, area.holder), 422);
  }
}

async function editScreen(area: TokenArea, token: TokenView, screen: ScreenRequest, ui: UiContext) {
  const { viewer, form, response } = screen;
  const policy = await ui.tokens.getPolicy();
  const show = (values: TokenFormValues, errors: FormErrors, status: number) =>
    sendAreaPage(
      screen,
      area,
      status,
      `Edit ${token.name}`,
      editForm(viewer, area, token, policy, values, errors),
      "Edit token",
    );
  if (token.status === "revoked" || inGrace(token)) {
    const refusal =
      token.status === "revoked"
        ? "A revoked token cannot be edited."
        : "A rotated token cannot be edited: edit the token that replaced it.";
    return show(currentValues(token), { fields: {}, form: refusal }, 409);
  }
  if (form === null) return show(currentValues(token), NO_ERRORS, 200);
  const values = postedValues(form);
  try {
    await ui.tokens.update(
      token.id,
      {
        name: values.name,
        permissions: permissionsOf(values, area),
        ...(token.expiresAt === null && values.expiry !== ""
          ? { expiryDays: expiryDaysOf(values) }
          : {}),
      },
      actorOf(viewer),
    );
    redirect(response, `${area.basePath}?done=updated`);
  } catch (error) {
    show(values, formErrorsOf(error, area.holder), 422);
  }
}

async function revokeScreen(
  area: TokenArea,
  token: TokenView,
  screen: ScreenRequest,
  ui: UiContext,
) {
  const { viewer, form, response } = screen;
  if (form === null) {
    const body = revokeConfirmation(viewer, area, token);
    return sendAreaPage(screen, area, 200, `Revoke ${token.name}?`, body, "Revoke token?");
  }
  await ui.tokens.revoke(token.id, actorOf(viewer));
  redirect(response, `${area.basePath}?done=revoked`);
}

async function rotateScreen(
  area: TokenArea,
  token: TokenView,
  screen: ScreenRequest,
  ui: UiContext,
) {
  const { viewer, form } = screen;
  const policy = await ui.tokens.getPolicy();
  const show = (values: Record<string, string>, errors: FormErrors, status: number) =>
    sendAreaPage(
      screen,
      area,
      status,
      `Rotate ${token.name}`,
      rotateForm(viewer, area, token, policy, values, errors),
      "Rotate token",
    );
  if (form === null) return show({ grace: "0", expiry: "same" }, NO_ERRORS, 200);
  const values = { grace: form.get("grace") ?? "", expiry: form.get("expiry") ?? "" };
  try {
    const rotated = await ui.tokens.rotate(token.id, rotateOptionsOf(values), actorOf(viewer));
    // As at creation: the new secret is in this response only, on a page nobody stores.
    sendAreaPage(
      screen,
      area,
      200,
      "Token rotated",
      html`${rotationDone(rotated.previous)}${secretPanel(area, rotated.token, rotated.secret)}`,
    );
  } catch (error) {
    show(values, formErrorsOf(error, area.holder), 422);
  }
}

/** The token, when it belongs to the area's owner; another owner's token is "not found" here. */
async function ownedToken(
  tokens: AccessTokens,
  area: TokenArea,
  id: string,
  viewer: Viewer,
): Promise<TokenView> {
  const token = await tokens.get(id, actorOf(viewer));
  if (ownerKey(token.owner) !== ownerKey(area.owner))
    throw new NotFoundError("No token has this id");
  return token;
}
