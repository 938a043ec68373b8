import type { AccessTokenEvent, AccessTokens } from "patkit";
import type { DemoHost } from "./demo-host.js";

/** How often the demo runs patkit's maintenance: every minute, as a host's scheduler would. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/**
 * The e-mail a host would send for an expiry notice, as text; `null` for other events. The
 * recipient comes from the host's own records at sending time: the event names only the token.
 */
export function expiryMail(event: AccessTokenEvent, host: DemoHost): string | null {
  if (event.type !== "token.expiring" && event.type !== "token.expired") return null;
  const { token } = event;
  const owner =
    token.owner.kind === "user"
      ? host.users.get(token.owner.userId)
      : host.users.get(token.createdBy);
  const to = owner ? `${owner.displayName} <${owner.username}@example.com>` : token.createdBy;
  const what =
    event.type === "token.expiring"
      ? `expires in ${event.daysLeft} day${event.daysLeft === 1 ? "" : "s"}, at ${token.expiresAt?.toISOString()}`
      : `expired at ${token.expiresAt?.toISOString()}`;
  return `mail to ${to}: your ${token.owner.kind} token "${token.name}" (${token.id}) ${what}`;
}

/**
 * Runs maintenance now and then every `intervalMs`, reporting failures; returns the stop
 * function. Notices arrive as events through `onEvent`, where the demo prints them.
 */
export function scheduleMaintenance(
  tokens: AccessTokens,
  report: (line: string) => void,
  intervalMs = MAINTENANCE_INTERVAL_MS,
): () => void {
  const run = () => {
    tokens.runMaintenance({ purgeAfterDays: 90 }).then(
      ({ notices, revoked, purged }) => {
        if (notices + revoked + purged > 0)
          report(`maintenance: ${notices} notices, ${revoked} revoked, ${purged} purged`);
      },
      (error: unknown) => report(`maintenance failed: ${String(error)}`),
    );
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
