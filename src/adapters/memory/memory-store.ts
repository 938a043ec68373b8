import {
  ConflictError,
  LimitExceededError,
  type Policy,
  type RevokedReason,
  type TokenStore,
} from "../../index.js";
import {
  applyPatch,
  type CreatedByQuery,
  type DueNotice,
  type DueNoticeQuery,
  type InsertLimit,
  isLive,
  isNoticeDue,
  isRevokedAt,
  type ListQuery,
  type NoticeClaim,
  ownerKey,
  type StoreChange,
  type TokenPatch,
  type TokenRecord,
  type TokenRotation,
  type TouchEntry,
  touchedFields,
  type UnusedQuery,
  type UserErasure,
} from "../../store/index.js";
import { PackedRecords } from "./packed-records.js";
import { cloneRecord, comparePosition } from "./records.js";

/** A {@link TokenStore} in process memory, with the introspection tests and tools like. */
export interface MemoryStore extends TokenStore {
  /** How many records are stored. */
  readonly size: number;
  /** Answers synchronously: the memory store never waits. */
  findById(id: string): TokenRecord | null;
}

/**
 * Creates a {@link TokenStore} that keeps everything in memory: for tests, demos and single
 * processes. It stores and returns copies, checks the per-owner limit and the version within
 * one synchronous step (so concurrent calls cannot interleave inside a write), and answers
 * synchronously, which keeps `verifyToken` on it close to the cost of the hash.
 *
 * @example
 * ```ts
 * import { createAccessTokens } from "patkit";
 * import { createMemoryStore } from "patkit/memory";
 *
 * const tokens = createAccessTokens({ store: createMemoryStore(), access });
 * ```
 */
export function createMemoryStore(): MemoryStore {
  // Packed: about 400 bytes a token instead of 1 000; every read is a fresh copy.
  const records = new PackedRecords();
  const idsByOwner = new Map<string, Set<string>>();
  let policy: Policy | null = null;
  // Expiry notice marks by token id, kept beside the records (they are not part of one).
  const noticed = new Map<string, number>();
  const watchers = new Set<(change: StoreChange) => void>();

  // Every instance sharing this store hears of each change, as PostgreSQL's NOTIFY would tell them.
  function announce(id: string): void {
    for (const listener of watchers) {
      try {
        listener({ kind: "token", id });
      } catch {
        // A listener's failure is its own; the write has happened and stands.
      }
    }
  }

  function ownerIds(key: string): Set<string> {
    let ids = idsByOwner.get(key);
    if (!ids) {
      ids = new Set();
      idsByOwner.set(key, ids);
    }
    return ids;
  }

  function remove(record: TokenRecord): void {
    records.delete(record.id);
    noticed.delete(record.id);
    const key = ownerKey(record.owner);
    const ids = idsByOwner.get(key);
    ids?.delete(record.id);
    if (ids?.size === 0) idsByOwner.delete(key);
  }

  return {
    get size() {
      return records.size;
    },

    insert(record: TokenRecord, limit: InsertLimit): void {
      if (records.has(record.id)) throw new ConflictError("A token with this id exists");
      const ids = ownerIds(ownerKey(record.owner));
      if (limit.maxTokensPerOwner !== null) {
        let live = 0;
        for (const id of ids) if (isLive(records.get(id) as TokenRecord, limit.now)) live++;
        if (live >= limit.maxTokensPerOwner) throw new LimitExceededError(limit.maxTokensPerOwner);
      }
      records.set(record.id, cloneRecord(record));
      ids.add(record.id);
    },

    findById(id: string): TokenRecord | null {
      return records.get(id) ?? null;
    },

    list(query: ListQuery): TokenRecord[] {
      const candidates = query.owner
        ? [...(idsByOwner.get(ownerKey(query.owner)) ?? [])].map(
            (id) => records.get(id) as TokenRecord,
          )
        : [...records.values()];
      const after = query.after;
      const offset = query.offset ?? 0;
      const { notRevokedAt } = query;
      return candidates
        .filter(
          (record) =>
            (!after || comparePosition(record, after) > 0) &&
            (notRevokedAt === undefined || !isRevokedAt(record, notRevokedAt)),
        )
        .sort(comparePosition)
        .slice(offset, offset + query.limit)
        .map(cloneRecord);
    },

    updateIfVersion(id: string, expectedVersion: number, patch: TokenPatch): TokenRecord | null {
      const record = records.get(id);
      if (!record || record.version !== expectedVersion) return null;
      const updated = cloneRecord(applyPatch(record, patch));
      records.set(id, updated);
      announce(id);
      return cloneRecord(updated);
    },

    revoke(id: string, at: Date, reason: RevokedReason = "manual"): TokenRecord | null {
      const record = records.get(id);
      if (!record) return null;
      if (isRevokedAt(record, at)) return cloneRecord(record);
      const revoked = cloneRecord({
        ...record,
        revokedAt: at,
        revokedReason: reason,
        version: record.version + 1,
      });
      records.set(id, revoked);
      announce(id);
      return cloneRecord(revoked);
    },

    rotate(rotation: TokenRotation): TokenRecord | null {
      const old = records.get(rotation.id);
      if (!old) return null;
      if (old.version !== rotation.expectedVersion)
        throw new ConflictError("The token changed since it was read; read it again and retry");
      if (old.revokedAt !== null || old.replacedBy !== null)
        throw new ConflictError("A rotated or revoked token cannot be rotated");
      const fresh = rotation.record;
      if (records.has(fresh.id)) throw new ConflictError("A token with this id exists");
      const rotated = cloneRecord({
        ...old,
        revokedAt: rotation.revokeAt,
        revokedReason: "rotated",
        replacedBy: fresh.id,
        version: old.version + 1,
      });
      records.set(old.id, rotated);
      records.set(fresh.id, cloneRecord(fresh));
      ownerIds(ownerKey(fresh.owner)).add(fresh.id);
      announce(old.id);
      return cloneRecord(rotated);
    },

    touchLastAuthenticated(entries: readonly TouchEntry[]): void {
      for (const entry of entries) {
        const id = entry.id;
        const record = records.get(id);
        if (!record) continue;
        const touched = touchedFields(record, entry);
        if (touched !== null) records.set(id, { ...record, ...touched });
      }
    },

    getPolicy(): Policy | null {
      return policy ? { ...policy } : null;
    },

    putPolicy(next: Policy): void {
      policy = {
        expiryRequired: next.expiryRequired,
        maxExpiryDays: next.maxExpiryDays,
        maxTokensPerOwner: next.maxTokensPerOwner ?? null,
        revokeUnusedAfterDays: next.revokeUnusedAfterDays ?? null,
      };
    },

    watch(listener: (change: StoreChange) => void) {
      const own = (change: StoreChange) => listener(change);
      watchers.add(own);
      return () => {
        watchers.delete(own);
      };
    },

    purge(before: Date, limit = Number.POSITIVE_INFINITY): number {
      let deleted = 0;
      for (const record of [...records.values()]) {
        if (deleted >= limit) break;
        const revokedBefore =
          record.revokedAt !== null && record.revokedAt.getTime() < before.getTime();
        const expiredBefore =
          record.expiresAt !== null && record.expiresAt.getTime() < before.getTime();
        if (revokedBefore || expiredBefore) {
          remove(record);
          announce(record.id);
          deleted++;
        }
      }
      return deleted;
    },

    findDueNotices(query: DueNoticeQuery): DueNotice[] {
      const due: DueNotice[] = [];
      for (const record of records.values()) {
        if (due.length >= query.limit) break;
        if (record.revokedAt !== null || record.expiresAt === null) continue;
        const noticedDays = noticed.get(record.id) ?? null;
        if (isNoticeDue(record.expiresAt, noticedDays, query.days, query.now)) {
          due.push({ record: cloneRecord(record), noticedDays });
        }
      }
      return due;
    },

    claimNotices(claims: readonly NoticeClaim[]): string[] {
      const moved: string[] = [];
      for (const { id, from, to } of claims) {
        const record = records.get(id);
        if (!record || record.revokedAt !== null || (noticed.get(id) ?? null) !== from) continue;
        if (to === null) noticed.delete(id);
        else noticed.set(id, to);
        moved.push(id);
      }
      return moved;
    },

    revokeUnused(query: UnusedQuery): TokenRecord[] {
      const revoked: TokenRecord[] = [];
      for (const record of [...records.values()]) {
        if (revoked.length >= query.limit) break;
        const lastUse = record.lastAuthenticatedAt ?? record.createdAt;
        if (!isLive(record, query.now) || lastUse.getTime() > query.unusedSince.getTime()) continue;
        const updated = cloneRecord({
          ...record,
          revokedAt: query.now,
          revokedReason: "unused",
          version: record.version + 1,
        });
        records.set(record.id, updated);
        announce(record.id);
        revoked.push(cloneRecord(updated));
      }
      return revoked;
    },

    listCreatedBy(query: CreatedByQuery): TokenRecord[] {
      const after = query.after;
      return [...records.values()]
        .filter((record) => record.createdBy === query.createdBy)
        .filter((record) => !after || comparePosition(record, after) > 0)
        .sort(comparePosition)
        .slice(0, query.limit)
        .map(cloneRecord);
    },

    eraseUser(userId: string, pseudonym: string): UserErasure {
      let deleted = 0;
      for (const id of [...(idsByOwner.get(ownerKey({ kind: "user", userId })) ?? [])]) {
        remove(records.get(id) as TokenRecord);
        announce(id);
        deleted++;
      }
      let pseudonymized = 0;
      for (const record of [...records.values()]) {
        if (record.createdBy !== userId) continue;
        // The user may have used a token they created: its addresses go too.
        records.set(record.id, { ...record, createdBy: pseudonym, lastUsedIps: [] });
        pseudonymized++;
      }
      return { deleted, pseudonymized };
    },
  };
}
