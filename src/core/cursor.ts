import { ValidationError } from "./errors.js";
import type { ListPosition } from "./store.js";

const CURSOR_PATTERN = /^([0-9a-z]{1,11})_([0-9A-Za-z]{1,64})$/;

/** An opaque, URL-safe cursor for the page after `position`. */
export function encodeCursor(position: ListPosition): string {
  return `${position.createdAt.getTime().toString(36)}_${position.id}`;
}

/** The position a cursor stands for, or a `ValidationError` on `cursor` when it is not one. */
export function decodeCursor(cursor: string): ListPosition {
  const match = CURSOR_PATTERN.exec(cursor);
  const millis = match ? Number.parseInt(match[1] as string, 36) : Number.NaN;
  // Past 8.64e15 ms a Date is invalid: refuse it here rather than hand it to the store.
  if (!match || !Number.isSafeInteger(millis) || Number.isNaN(new Date(millis).getTime())) {
    throw new ValidationError([{ path: ["cursor"], message: "Not a cursor returned by list()" }]);
  }
  return { createdAt: new Date(millis), id: match[2] as string };
}
