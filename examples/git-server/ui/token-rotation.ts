import type { Policy, TokenView } from "patkit";
import { type Choice, formError, selectField } from "./fields.js";
import type { FormErrors } from "./form-errors.js";
import { type Html, html } from "./html.js";
import { csrfField, type Viewer } from "./layout.js";
import type { TokenArea } from "./token-areas.js";
import { expiryChoices } from "./token-forms.js";
import { formatTime } from "./token-views.js";

/** How long the old secret keeps working, for the scripts and CI jobs still using it. */
const GRACE_CHOICES: readonly Choice[] = [
  { value: "0", label: "Stop at once" },
  { value: "3600", label: "1 hour" },
  { value: "86400", label: "1 day" },
  { value: "604800", label: "7 days (the longest)" },
];

/** The expiries a rotation offers: the old token's lifetime again, or what the create form offers. */
function rotationExpiryChoices(token: TokenView, policy: Policy): Choice[] {
  const lifetime =
    token.expiresAt === null
      ? "no expiry"
      : `${Math.round((token.expiresAt.getTime() - token.createdAt.getTime()) / 86_400_000)} days`;
  return [{ value: "same", label: `The same lifetime (${lifetime})` }, ...expiryChoices(policy)];
}

/** The rotation form: how long the old token keeps working, and the new token's expiry. */
export function rotateForm(
  viewer: Viewer,
  area: TokenArea,
  token: TokenView,
  policy: Policy,
  values: Readonly<Record<string, string>>,
  errors: FormErrors,
): Html {
  return html`<p>Rotating <strong>${token.name}</strong> creates a new token with the same name and
    permissions and shows its secret once. The old token stops working when the grace period ends,
    or at its own expiry if that comes first.</p>
    <form method="post" action="${area.basePath}/${token.id}/rotate" novalidate>
      ${csrfField(viewer.session)}
      ${formError(errors.form)}
      ${selectField({
        id: "grace",
        label: "The old token keeps working for",
        choices: GRACE_CHOICES,
        value: values.grace ?? "0",
        hint: "Time to put the new token wherever the old one is used.",
        ...(errors.fields.grace ? { error: errors.fields.grace } : {}),
      })}
      ${selectField({
        id: "expiry",
        label: "Expiry of the new token",
        choices: rotationExpiryChoices(token, policy),
        value: values.expiry ?? "same",
        ...(errors.fields.expiry ? { error: errors.fields.expiry } : {}),
      })}
      <div class="actions">
        <button type="submit" class="primary">Rotate token</button>
        <a href="${area.basePath}">Cancel</a>
      </div>
    </form>`;
}

/** The form's values as `rotate` options; patkit judges them and its refusals go next to the fields. */
export function rotateOptionsOf(values: Readonly<Record<string, string>>): {
  graceSeconds: number;
  expiryDays?: number | null;
} {
  const graceSeconds = Number(values.grace);
  const expiry = values.expiry ?? "same";
  if (expiry === "same") return { graceSeconds };
  return { graceSeconds, expiryDays: expiry === "never" ? null : Number(expiry) };
}

/** What happened to the old token, above the new secret. */
export function rotationDone(previous: TokenView): Html {
  return html`<p class="notice success" role="status">The token was rotated. The old secret
    works until ${formatTime(previous.revokedAt, "now")}.</p>`;
}
