import type { $ZodIssue } from "zod/v4/core";
import type { ValidationIssue } from "./errors.js";

/** One issue as zod reports it. */
export type SchemaIssue = $ZodIssue;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  date: "a Date",
  object: "an object",
  array: "a list",
  function: "a function",
};

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

/**
 * The issues patkit reports for one zod issue: the field it concerns (never an empty path:
 * `root` stands for the value as a whole) and a message for people, saying what is allowed.
 * An unknown key gives one issue per key, named by the key. Input values are never echoed.
 */
export function describeIssue(
  issue: SchemaIssue,
  prefix: readonly (string | number)[],
  root: string,
): ValidationIssue[] {
  const at = (path: readonly PropertyKey[]): (string | number)[] => {
    const full = [...prefix, ...path.map((key) => (typeof key === "symbol" ? String(key) : key))];
    return full.length > 0 ? full : [root];
  };
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: at([...issue.path, key]),
      message: "Unknown field: remove it or check its spelling",
    }));
  }
  return [{ path: at(issue.path), message: messageOf(issue) }];
}

function messageOf(issue: SchemaIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "Required";
      if (issue.expected === "date" && issue.input instanceof Date) return "Must be a valid Date";
      return `Must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    }
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string")
        return min === 1 ? "Must not be empty" : `Must be at least ${plural(min, "character")}`;
      if (issue.origin === "array") return `Must hold at least ${plural(min, "item")}`;
      return `Must be ${min} or more`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return `Must be at most ${plural(max, "character")}`;
      if (issue.origin === "array") return `Must hold at most ${plural(max, "item")}`;
      return `Must be ${max} or less`;
    }
    case "invalid_value":
      return `Must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "invalid_union":
      return "options" in issue && Array.isArray(issue.options)
        ? `Must be one of ${issue.options.map((value) => JSON.stringify(value)).join(", ")}`
        : "Does not match any allowed shape";
    case "custom":
      // Our own refinements carry messages written for people.
      return issue.message;
    default:
      return "Is not valid here";
  }
}
