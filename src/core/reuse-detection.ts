import type { HookRunner } from "./events.js";
import type { TokenRecord } from "./store.js";
import { toView } from "./view.js";

/** At most one `token.reused` event per token in this window. */
export const REUSE_EVENT_INTERVAL_MS = 60_000;

/** Above this many remembered tokens, the ones outside the window are forgotten. */
const MAX_REMEMBERED = 10_000;

/**
 * Reports a rotated-out secret used after its grace period, as `token.reused`, at most once per
 * token per minute (a misconfigured automation retries all day; the audit log needs it once).
 * It revokes nothing: a verify never changes other tokens (GitLab issue 418769).
 */
export function createReuseDetector(hooks: HookRunner) {
  const lastReported = new Map<string, number>();

  return function reused(record: TokenRecord, now: Date): void {
    const at = now.getTime();
    const last = lastReported.get(record.id);
    if (last !== undefined && at - last < REUSE_EVENT_INTERVAL_MS) return;
    if (lastReported.size >= MAX_REMEMBERED) {
      for (const [id, when] of lastReported)
        if (at - when >= REUSE_EVENT_INTERVAL_MS) lastReported.delete(id);
      if (lastReported.size >= MAX_REMEMBERED) lastReported.clear();
    }
    lastReported.set(record.id, at);
    hooks.emit({ type: "token.reused", at: now, actor: null, token: toView(record, now) });
  };
}
