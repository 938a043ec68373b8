import { badRequest } from "./errors.js";

/** The page size when `limit` is not given, Bitbucket's. */
export const DEFAULT_LIMIT = 25;
/** Larger `limit`s are served as this many (Bitbucket caps page sizes too). */
export const MAX_LIMIT = 1000;
/** The largest `start` or `limit` taken at all (a 32-bit integer, as Bitbucket's `int32`). */
export const MAX_PAGE_PARAMETER = 2_147_483_647;

/** Where a page starts and how long it is, or the 400 to answer. */
export type Paging = { readonly start: number; readonly limit: number } | Response;

/** Reads `start` (default 0) and `limit` (default 25, at most 1000) from the query string. */
export function pagingOf(url: URL): Paging {
  const start = whole(url, "start", 0, DEFAULT_START);
  if (start instanceof Response) return start;
  const limit = whole(url, "limit", 1, DEFAULT_LIMIT);
  if (limit instanceof Response) return limit;
  return { start, limit: Math.min(limit, MAX_LIMIT) };
}

const DEFAULT_START = 0;

function whole(url: URL, name: string, min: number, fallback: number): number | Response {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  // Digits only: no sign, fraction, exponent, hex or blanks, and short enough to be exact.
  const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= MAX_PAGE_PARAMETER)) {
    return badRequest(`${name} must be a whole number from ${min} to ${MAX_PAGE_PARAMETER}`, name);
  }
  return value;
}
