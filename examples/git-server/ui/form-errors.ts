import {
  ConflictError,
  ExpiryImmutableError,
  LimitExceededError,
  PolicyViolationError,
  ValidationError,
  type ValidationIssue,
} from "patkit";

/**
 * What a form shows after the library refused a change: a message per field (next to it) and
 * maybe one for the whole form. Field keys are the form's own names (`name`, `permissions`,
 * `expiry`, `maxExpiryDays`, ...).
 */
export interface FormErrors {
  readonly fields: Readonly<Record<string, string>>;
  readonly form?: string;
}

/** No errors: a form shown for the first time. */
export const NO_ERRORS: FormErrors = { fields: {} };

/** The form field each of the library's input paths belongs to. */
const FIELD_OF_PATH: Readonly<Record<string, string>> = {
  name: "name",
  permissions: "permissions",
  expiryDays: "expiry",
  expiresAt: "expiry",
  expiryRequired: "expiryRequired",
  maxExpiryDays: "maxExpiryDays",
  maxTokensPerOwner: "maxTokensPerOwner",
  revokeUnusedAfterDays: "revokeUnusedAfterDays",
  graceSeconds: "grace",
};

/** Says an input problem the way a person filling in the form understands it. */
function humanMessage(field: string, issue: ValidationIssue): string {
  const said = issue.message;
  switch (field) {
    case "name":
      if (/empty|too small/i.test(said)) return "Enter a name for the token.";
      if (/control/i.test(said)) return "Remove line breaks and other control characters.";
      if (/too big/i.test(said)) return "Use at most 255 characters.";
      return `This name cannot be used: ${said}.`;
    case "permissions":
      // permissionProblems() already speaks in sentences; enum refusals (path permissions.N) do not.
      return issue.path.length === 1 ? `${said}.` : "Choose the permissions from the lists.";
    case "expiry":
      return "Choose an expiry from the list.";
    case "grace":
      return "Choose how long the old token keeps working from the list.";
    case "maxExpiryDays":
      return "Enter a whole number of days from 1 to 36500, or leave it empty for no maximum.";
    case "maxTokensPerOwner":
      return "Enter a whole number from 1 to 1000000, or leave it empty for no limit.";
    case "revokeUnusedAfterDays":
      return "Enter a whole number of days, 1 or more, or leave it empty to keep unused tokens.";
    default:
      return said;
  }
}

/**
 * Turns a refusal of the library into form errors; anything else (not found, forbidden, a store
 * outage, a bug) is not a form problem and is rethrown for the page-level handler.
 */
export function formErrorsOf(error: unknown, describeOwner: string): FormErrors {
  if (error instanceof ValidationError) {
    const fields: Record<string, string> = {};
    let form: string | undefined;
    for (const issue of error.issues) {
      const field = FIELD_OF_PATH[String(issue.path[0] ?? "")];
      if (field === undefined) form ??= `${issue.message}.`;
      else fields[field] ??= humanMessage(field, issue);
    }
    return form === undefined ? { fields } : { fields, form };
  }
  if (error instanceof PolicyViolationError) {
    const max = /at most (\d+) days/.exec(error.message)?.[1];
    return {
      fields: {
        expiry: max
          ? `The token policy allows at most ${max} days: choose a shorter expiry.`
          : "The token policy requires an expiry: choose a number of days.",
      },
    };
  }
  if (error instanceof ExpiryImmutableError) {
    return { fields: { expiry: "The expiry is already set and cannot change." } };
  }
  if (error instanceof LimitExceededError) {
    return {
      fields: {},
      form: `${describeOwner} already ${describeOwner === "You" ? "have" : "has"} the maximum of ${error.limit} active tokens: revoke one to create another.`,
    };
  }
  if (error instanceof ConflictError) return { fields: {}, form: `${error.message}.` };
  throw error;
}
