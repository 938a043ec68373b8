import type { Permission, Policy, TokenView } from "patkit";
import { type Choice, fieldset, formError, selectField, textField } from "./fields.js";
import type { FormErrors } from "./form-errors.js";
import { type Html, html } from "./html.js";
import { csrfField, type Viewer } from "./layout.js";
import type { TokenArea } from "./token-areas.js";
import { formatTime } from "./token-views.js";

/** What the create and edit forms hold, as typed (re-shown as typed after a refusal). */
export interface TokenFormValues {
  readonly name: string;
  readonly projectPermission: string;
  readonly repositoryPermission: string;
  /** `"never"`, a number of days, or `""` (edit: keep the expiry as it is). */
  readonly expiry: string;
}

const PROJECT_CHOICES: readonly Choice[] = [
  { value: "", label: "No project access" },
  { value: "PROJECT_READ", label: "Project read" },
  { value: "PROJECT_WRITE", label: "Project write" },
  { value: "PROJECT_ADMIN", label: "Project admin" },
];

const REPOSITORY_CHOICES: readonly Choice[] = [
  { value: "REPO_READ", label: "Repository read" },
  { value: "REPO_WRITE", label: "Repository write" },
  { value: "REPO_ADMIN", label: "Repository admin" },
];

const LABELS: Readonly<Record<string, string>> = Object.fromEntries(
  [...PROJECT_CHOICES, ...REPOSITORY_CHOICES].map((choice) => [choice.value, choice.label]),
);

/** A token's permissions as people read them: "Project read, Repository write". */
export function describePermissions(permissions: readonly Permission[]): string {
  return permissions.map((permission) => LABELS[permission] ?? permission).join(", ");
}

/** The expiries the create form offers before the policy narrows them, in days. */
const EXPIRY_DAYS = [7, 30, 60, 90, 180, 365];

/**
 * The expiry choices the policy allows: nothing beyond the maximum (the maximum itself is
 * offered), and "Never" only when no expiry is required.
 */
export function expiryChoices(policy: Policy): Choice[] {
  const max = policy.maxExpiryDays;
  const days = EXPIRY_DAYS.filter((day) => max === null || day <= max);
  if (max !== null && !days.includes(max)) days.push(max);
  days.sort((a, b) => a - b);
  const choices = days.map((day) => ({
    value: String(day),
    label: day === max ? `${day} days (the maximum)` : `${day} days`,
  }));
  if (!policy.expiryRequired) choices.push({ value: "never", label: "Never" });
  return choices;
}

/** The expiry a fresh form suggests: 30 days when the policy allows it, else the longest allowed. */
function defaultExpiry(choices: readonly Choice[]): string {
  if (choices.some((choice) => choice.value === "30")) return "30";
  return choices.filter((choice) => choice.value !== "never").at(-1)?.value ?? "never";
}

/** The values of a fresh create form. */
export function freshCreateValues(policy: Policy, area: TokenArea): TokenFormValues {
  return {
    name: "",
    projectPermission: area.offersProjectPermission ? "PROJECT_READ" : "",
    repositoryPermission: "REPO_READ",
    expiry: defaultExpiry(expiryChoices(policy)),
  };
}

/** The values of an edit form for `token` as it is. */
export function currentValues(token: TokenView): TokenFormValues {
  const project = token.permissions.find((permission) => permission.startsWith("PROJECT_"));
  const repository = token.permissions.find((permission) => permission.startsWith("REPO_"));
  return {
    name: token.name,
    projectPermission: project ?? "",
    repositoryPermission: repository ?? "REPO_READ",
    expiry: "",
  };
}

/** Reads the form as posted. */
export function postedValues(form: URLSearchParams): TokenFormValues {
  return {
    name: form.get("name") ?? "",
    projectPermission: form.get("projectPermission") ?? "",
    repositoryPermission: form.get("repositoryPermission") ?? "",
    expiry: form.get("expiry") ?? "",
  };
}

/**
 * The permission list the form asks for, unchecked: the library judges it, and its refusal is
 * shown next to the picker.
 */
export function permissionsOf(values: TokenFormValues, area: TokenArea): Permission[] {
  const chosen = [
    area.offersProjectPermission ? values.projectPermission : "",
    values.repositoryPermission,
  ];
  return chosen.filter((value) => value !== "") as Permission[];
}

/** The expiry the form asks for: `null` for never, days otherwise (unchecked: NaN is refused by patkit). */
export function expiryDaysOf(values: TokenFormValues): number | null {
  return values.expiry === "never" ? null : Number(values.expiry);
}

function permissionPicker(area: TokenArea, values: TokenFormValues, errors: FormErrors): Html {
  const project = area.offersProjectPermission
    ? selectField({
        id: "projectPermission",
        label: "Project permissions",
        choices: PROJECT_CHOICES,
        value: values.projectPermission,
      })
    : "";
  return fieldset({
    id: "permissions",
    legend: "Permissions",
    hint: area.offersProjectPermission
      ? "The repository permission is at least the project permission. A token never does more than its owner may."
      : "A repository token reaches this repository only: it carries no project permission.",
    ...(errors.fields.permissions ? { error: errors.fields.permissions } : {}),
    body: html`${project}${selectField({
      id: "repositoryPermission",
      label: "Repository permissions",
      choices: REPOSITORY_CHOICES,
      value: values.repositoryPermission,
    })}`,
  });
}

function nameField(values: TokenFormValues, errors: FormErrors): Html {
  return textField({
    id: "name",
    label: "Token name",
    value: values.name,
    hint: "Say where it is used, e.g. “laptop” or “CI deploy”.",
    ...(errors.fields.name ? { error: errors.fields.name } : {}),
    attributes: html` autocomplete="off" required`,
  });
}

/** The create form. */
export function createForm(
  viewer: Viewer,
  area: TokenArea,
  policy: Policy,
  values: TokenFormValues,
  errors: FormErrors,
): Html {
  const policyHint = policy.expiryRequired
    ? `The token policy requires an expiry${policy.maxExpiryDays === null ? "" : ` of at most ${policy.maxExpiryDays} days`}.`
    : policy.maxExpiryDays === null
      ? "Once set, the expiry cannot change."
      : `The token policy allows at most ${policy.maxExpiryDays} days.`;
  return html`<form method="post" action="${area.basePath}/new" class="token-form" novalidate>
    ${csrfField(viewer.session)}
    ${formError(errors.form)}
    ${nameField(values, errors)}
    ${permissionPicker(area, values, errors)}
    ${selectField({
      id: "expiry",
      label: "Expiry",
      choices: expiryChoices(policy),
      value: values.expiry,
      hint: policyHint,
      ...(errors.fields.expiry ? { error: errors.fields.expiry } : {}),
    })}
    <div class="actions"><button type="submit" class="primary">Create</button>
    <a href="${area.basePath}">Cancel</a></div>
  </form>`;
}

/** The edit form: name and permissions; the expiry is read-only once set, else it may be set once. */
export function editForm(
  viewer: Viewer,
  area: TokenArea,
  token: TokenView,
  policy: Policy,
  values: TokenFormValues,
  errors: FormErrors,
): Html {
  const expiry =
    token.expiresAt === null
      ? selectField({
          id: "expiry",
          label: "Expiry",
          choices: [
            { value: "", label: "Never (keep)" },
            ...expiryChoices(policy).filter((choice) => choice.value !== "never"),
          ],
          value: values.expiry,
          hint: "This token has no expiry. You may give it one, once; it cannot change afterwards.",
          ...(errors.fields.expiry ? { error: errors.fields.expiry } : {}),
        })
      : html`<div class="field"><p class="label" id="expiry-label">Expiry</p>
          <p class="read-only" aria-labelledby="expiry-label">${formatTime(token.expiresAt)}
          <span class="hint">(set when the token was created; it cannot change)</span></p>
          ${errors.fields.expiry ? html`<p class="field-error" id="expiry-error">${errors.fields.expiry}</p>` : ""}</div>`;
  return html`<form method="post" action="${area.basePath}/${token.id}/edit" class="token-form" novalidate>
    ${csrfField(viewer.session)}
    ${formError(errors.form)}
    ${nameField(values, errors)}
    ${permissionPicker(area, values, errors)}
    ${expiry}
    <div class="actions"><button type="submit" class="primary">Save</button>
    <a href="${area.basePath}">Cancel</a></div>
  </form>`;
}
