import { normalizeIp } from "./client-address.js";
import type { TokenStore, TouchEntry } from "./store.js";
import { callStore } from "./store-calls.js";

/** Above this many remembered tokens, entries old enough to be settled by the store are dropped. */
const MAX_REMEMBERED = 10_000;

/**
 * Coalesces last-authenticated writes: at most one per token per `intervalMs`, collected during
 * one turn of the event loop and written as one batch after the verify has answered. A failed
 * write is reported and forgotten, so the next authentication tries again.
 */
export function createLastAuthenticatedRecorder(options: {
  store: TokenStore;
  intervalMs: number;
  report: (error: unknown) => void;
}) {
  const { store, intervalMs, report } = options;
  // When this instance last scheduled a write per token: covers the gap before the store shows it.
  const scheduled = new Map<string, number>();
  let pending: TouchEntry[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const inFlight = new Set<Promise<void>>();

  // The client address is checked only for the write that goes out: at most once per interval.
  function record(id: string, stored: Date | null, now: Date, clientIp?: unknown): void {
    const at = now.getTime();
    const storedAt = stored === null ? Number.NEGATIVE_INFINITY : stored.getTime();
    const scheduledAt = scheduled.get(id) ?? Number.NEGATIVE_INFINITY;
    if (at - Math.max(storedAt, scheduledAt) < intervalMs) return;
    if (scheduled.size >= MAX_REMEMBERED) forgetSettled(at);
    scheduled.set(id, at);
    const ip = clientIp == null ? null : normalizeIp(clientIp);
    pending.push(ip === null ? { id, at: now } : { id, at: now, ip });
    timer ??= setTimeout(flush, 0);
  }

  function forgetSettled(at: number): void {
    for (const [id, when] of scheduled) if (at - when >= intervalMs) scheduled.delete(id);
    if (scheduled.size >= MAX_REMEMBERED) scheduled.clear();
  }

  function flush(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const write = callStore("touchLastAuthenticated", () =>
      store.touchLastAuthenticated(batch),
    ).then(
      () => {},
      (error) => {
        for (const entry of batch)
          if (scheduled.get(entry.id) === entry.at.getTime()) scheduled.delete(entry.id);
        report(error);
      },
    );
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
  }

  /** Writes what is pending now and waits for every write under way. */
  async function drain(): Promise<void> {
    flush();
    await Promise.all(inFlight);
  }

  return { record, drain };
}
