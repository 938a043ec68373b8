import { type Html, html, type Interpolation } from "./html.js";

/** One option of a `select`. */
export interface Choice {
  readonly value: string;
  readonly label: string;
}

/** The attributes that tie a control to its hint and its error message, for screen readers. */
function described(id: string, error: string | undefined, hint: string | undefined): Html {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return html`${ids ? html` aria-describedby="${ids}"` : ""}${error ? html` aria-invalid="true"` : ""}`;
}

function around(
  id: string,
  label: string,
  control: Html,
  error: string | undefined,
  hint: string | undefined,
): Html {
  return html`<div class="field${error ? " has-error" : ""}">
    <label for="${id}">${label}</label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ""}
    ${control}
    ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ""}
  </div>`;
}

/** A labelled text input with its hint and error. */
export function textField(options: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly error?: string;
  readonly hint?: string;
  readonly type?: "text" | "number" | "password";
  readonly attributes?: Html;
}): Html {
  const { id, label, value, error, hint } = options;
  const control = html`<input id="${id}" name="${id}" type="${options.type ?? "text"}" value="${value}"${described(id, error, hint)}${options.attributes ?? ""}>`;
  return around(id, label, control, error, hint);
}

/** A labelled `select` with its hint and error. */
export function selectField(options: {
  readonly id: string;
  readonly label: string;
  readonly choices: readonly Choice[];
  readonly value: string;
  readonly error?: string;
  readonly hint?: string;
}): Html {
  const { id, label, choices, value, error, hint } = options;
  const control = html`<select id="${id}" name="${id}"${described(id, error, hint)}>${choices.map(
    (choice) =>
      html`<option value="${choice.value}"${choice.value === value ? html` selected` : ""}>${choice.label}</option>`,
  )}</select>`;
  return around(id, label, control, error, hint);
}

/** A group of fields under one legend, with the group's own error (e.g. the permissions). */
export function fieldset(options: {
  readonly id: string;
  readonly legend: string;
  readonly error?: string;
  readonly hint?: string;
  readonly body: Interpolation;
}): Html {
  const { id, legend, error, hint, body } = options;
  return html`<fieldset id="${id}" class="${error ? "has-error" : ""}"${described(id, error, hint)}>
    <legend>${legend}</legend>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ""}
    ${body}
    ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ""}
  </fieldset>`;
}

/** The message for the whole form, announced when the page loads with it. */
export function formError(message: string | undefined): Html {
  return message
    ? html`<p class="notice error" role="alert" id="form-error">${message}</p>`
    : html``;
}
