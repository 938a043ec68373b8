import { timingSafeEqual } from "node:crypto";

/**
 * DEMO ONLY: every demo user signs in to the token REST API with this password over HTTP Basic
 * (`curl -u alice:demo ...`), standing in for a real host's session (a login form and cookie,
 * SSO, ...). It opens the token REST API and the screens only, never Git.
 */
export const DEMO_PASSWORD = "demo";

const DEMO_PASSWORD_BYTES = Buffer.from(DEMO_PASSWORD);

/** Whether `password` is the demo password, compared in constant time. */
export function isDemoPassword(password: string): boolean {
  const given = Buffer.from(password);
  return given.length === DEMO_PASSWORD_BYTES.length && timingSafeEqual(given, DEMO_PASSWORD_BYTES);
}
