import { PatkitError, StoreUnavailableError } from "./errors.js";

/** Runs one store operation, turning any unexpected failure into a `StoreUnavailableError`. */
export type StoreCaller = <T>(operation: string, run: () => T | Promise<T>) => Promise<T>;

/**
 * Store adapters should throw `StoreUnavailableError` themselves; this also covers adapters that
 * let a driver error escape, so callers always see a typed error with the cause attached.
 */
export const callStore: StoreCaller = async (operation, run) => {
  try {
    return await run();
  } catch (error) {
    throw asStoreError(operation, error);
  }
};

/** `error` itself when it is a patkit error, otherwise a `StoreUnavailableError` caused by it. */
export function asStoreError(operation: string, error: unknown): PatkitError {
  if (error instanceof PatkitError) return error;
  return new StoreUnavailableError(`The token store failed (${operation})`, { cause: error });
}
