/**
 * A tiny HTML templating helper: `html` escapes every interpolated value unless it is already
 * `Html` (the result of another `html` call, or `raw` for trusted markup). Escaping by default is
 * what keeps token names and other user input from becoming markup.
 */

/** Markup that is safe to insert as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Something a template can hold: text (escaped), markup, a list of either, or nothing. */
export type Interpolation = Html | string | number | boolean | null | undefined | Interpolation[];

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function render(value: Interpolation): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** The tagged template: html`<p>${name}</p>` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let text = strings[0] ?? "";
  for (let index = 0; index < values.length; index++) {
    text += render(values[index]) + (strings[index + 1] ?? "");
  }
  return new Html(text);
}

/** Trusted markup, inserted unescaped: only for constants written in this code. */
export function raw(text: string): Html {
  return new Html(text);
}
