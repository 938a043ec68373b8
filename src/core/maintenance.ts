import type { Clock } from "./clock.js";
import { ValidationError } from "./errors.js";
import type { AccessTokenEvent, HookRunner } from "./events.js";
import { decideNotice, type NoticeDecision } from "./expiry-notices.js";
import { DAY_MS } from "./policy.js";
import type { RecordLookup } from "./record-lookup.js";
import { maintenanceInputSchema, parseInput } from "./schemas.js";
import type { NoticeClaim, TokenRecord, TokenStore } from "./store.js";
import { callStore } from "./store-calls.js";
import type { Policy } from "./types.js";
import { toView } from "./view.js";

/** The input of `runMaintenance`. */
export interface MaintenanceInput {
  /** Delete tokens revoked or expired at least this many whole days ago; omit to delete nothing. */
  readonly purgeAfterDays?: number;
}

/** What one `runMaintenance` did. */
export interface MaintenanceResult {
  /** Expiry notices sent (`token.expiring` and `token.expired` events whose hook did not fail). */
  readonly notices: number;
  /** Tokens revoked as unused. */
  readonly revoked: number;
  /** Tokens deleted. */
  readonly purged: number;
}

/** How many tokens one store call of maintenance reads or changes at most. */
export const MAINTENANCE_BATCH_SIZE = 500;

/** What maintenance needs from `createAccessTokens`. */
export interface MaintenanceContext {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly hooks: HookRunner;
  readonly lookup: RecordLookup;
  /** Expiry notice thresholds, largest first; empty when notices are off. */
  readonly noticeDays: readonly number[];
  readonly getPolicy: () => Promise<Policy>;
  /** Tokens per store call; default {@link MAINTENANCE_BATCH_SIZE}. */
  readonly batchSize?: number;
}

/**
 * The background work a host schedules: unused tokens revoked, expiry notices sent once, long
 * dead tokens deleted. Every step goes through the store in bounded batches, and every change
 * is a conditional write, so instances running it at the same moment share the work instead of
 * repeating it, and a run cut short is finished by the next one.
 */
export function createMaintenance(context: MaintenanceContext) {
  const { store, clock, hooks, lookup, noticeDays } = context;
  const batchSize = context.batchSize ?? MAINTENANCE_BATCH_SIZE;

  async function runMaintenance(input?: MaintenanceInput): Promise<MaintenanceResult> {
    const data = parseInput(maintenanceInputSchema, input ?? {});
    requireStoreMethods(store, "runMaintenance", [
      "revokeUnused",
      "findDueNotices",
      "claimNotices",
    ]);
    // Unused tokens first: a token revoked now needs no expiry notice.
    const revoked = await revokeUnused();
    const notices = await sendNotices();
    const purged = data.purgeAfterDays === undefined ? 0 : await purge(data.purgeAfterDays);
    return { notices, revoked, purged };
  }

  async function revokeUnused(): Promise<number> {
    const { revokeUnusedAfterDays } = await context.getPolicy();
    if (revokeUnusedAfterDays == null) return 0;
    let revoked = 0;
    for (;;) {
      const now = clock.now();
      const unusedSince = new Date(now.getTime() - revokeUnusedAfterDays * DAY_MS);
      const records = await callStore("revokeUnused", () =>
        store.revokeUnused({ unusedSince, now, limit: batchSize }),
      ).catch(forgetAllAndThrow);
      for (const record of records) {
        lookup.changed(record.id);
        hooks.emit({
          type: "token.revoked",
          at: now,
          actor: null,
          token: toView(record, now),
          reason: "unused",
        });
      }
      revoked += records.length;
      if (records.length < batchSize) return revoked;
    }
  }

  async function sendNotices(): Promise<number> {
    if (noticeDays.length === 0) return 0;
    let sent = 0;
    // Tokens whose hook failed this run: handed back for a later run, not retried in this one.
    const handedBack = new Set<string>();
    for (;;) {
      const now = clock.now();
      const due = await callStore("findDueNotices", () =>
        store.findDueNotices({ days: noticeDays, now, limit: batchSize }),
      );
      const plans: NoticePlan[] = [];
      for (const { record, noticedDays } of due) {
        if (handedBack.has(record.id) || record.expiresAt === null) continue;
        const decision = decideNotice(record.expiresAt, noticedDays, noticeDays, now);
        if (decision) plans.push({ record, from: noticedDays, decision });
      }
      if (plans.length === 0) return sent;
      // Claim first, then send: a notice another instance claimed is not ours to send.
      const claimed = new Set(
        await callStore("claimNotices", () =>
          store.claimNotices(
            plans.map((plan) => ({ id: plan.record.id, from: plan.from, to: plan.decision.to })),
          ),
        ),
      );
      const mine = plans.filter((plan) => claimed.has(plan.record.id));
      const delivered = await Promise.all(mine.map((plan) => deliver(plan, now)));
      const failed = mine.filter((_, index) => delivered[index] === false);
      sent += delivered.filter((outcome) => outcome === true).length;
      if (failed.length > 0) await handBack(failed, handedBack);
      // Fewer than a batch: nothing more is due. None claimed: others are on it.
      if (due.length < batchSize || claimed.size === 0) return sent;
    }
  }

  /** `true` sent, `false` the hook failed, `null` marked without a notice. */
  async function deliver(plan: NoticePlan, now: Date): Promise<boolean | null> {
    const send = plan.decision.send;
    if (send === null) return null;
    const token = toView(plan.record, now);
    const event: AccessTokenEvent =
      "expired" in send
        ? { type: "token.expired", at: now, actor: null, token }
        : { type: "token.expiring", at: now, actor: null, token, daysLeft: send.daysLeft };
    return hooks.deliver(event);
  }

  async function handBack(failed: readonly NoticePlan[], handedBack: Set<string>): Promise<void> {
    const returns: NoticeClaim[] = failed.map((plan) => ({
      id: plan.record.id,
      from: plan.decision.to,
      to: plan.from,
    }));
    for (const plan of failed) handedBack.add(plan.record.id);
    await callStore("claimNotices", () => store.claimNotices(returns));
  }

  async function purge(purgeAfterDays: number): Promise<number> {
    // "At least N days ago": revoked or expired at or before now - N days. The store's purge
    // deletes strictly before its instant, one millisecond (its precision) later.
    const before = new Date(clock.now().getTime() - purgeAfterDays * DAY_MS + 1);
    let purged = 0;
    for (;;) {
      const deleted = await callStore("purge", () => store.purge(before, batchSize)).catch(
        forgetAllAndThrow,
      );
      purged += deleted;
      if (deleted > 0) lookup.changedAll();
      if (deleted < batchSize) return purged;
    }
  }

  // A batch whose answer was lost may still have changed records this instance has cached.
  function forgetAllAndThrow(error: unknown): never {
    lookup.changedAll();
    throw error;
  }

  return { runMaintenance };
}

interface NoticePlan {
  readonly record: TokenRecord;
  readonly from: number | null;
  readonly decision: NoticeDecision;
}

/**
 * Refuses a store without the methods `operation` needs, naming them: stores written for v0.1
 * work for everything else, and learn here what to add.
 */
export function requireStoreMethods(
  store: TokenStore,
  operation: string,
  methods: readonly (keyof TokenStore)[],
): void {
  const missing = methods.filter(
    (method) => typeof (store as unknown as Record<string, unknown>)[method] !== "function",
  );
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((method) => ({
        path: ["store", method],
        message: `Expected a function: ${operation} needs it (see MAINTENANCE_STORE_METHODS)`,
      })),
    );
  }
}
