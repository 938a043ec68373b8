import { ValidationError } from "./errors.js";
import type { LeakReport } from "./events.js";
import { constantTimeEqual } from "./hashing.js";
import type { ManagementContext } from "./management.js";
import { leakedSecretsSchema, leakReportSchema, parseInput } from "./schemas.js";
import { isExpiredAt, isRevokedAt, type TokenRecord } from "./store.js";
import { callStore } from "./store-calls.js";
import { parseTokenId, TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH } from "./token-format.js";
import type { Actor, TokenView } from "./types.js";
import { sessionActor } from "./user-data.js";
import { toView } from "./view.js";

/** The report that comes with leaked secrets: where they were found, as the reporter says. */
export interface LeakReportInput {
  /** Where the secrets were found, e.g. GitHub's `source` ("content", "commit", ...). */
  readonly source?: string | null;
  /** A link to where they were found. */
  readonly url?: string | null;
}

/** What `revokeLeaked` did: counts only, never which strings matched. */
export interface LeakedTokensResult {
  /** Distinct strings that are the secret of a stored token (any status). */
  readonly matched: number;
  /** Of those, the tokens that were live and are now revoked with reason `leaked`. */
  readonly revoked: number;
}

/** What leaked-token handling needs from `createAccessTokens`: the same as management. */
export type LeakedTokensContext = ManagementContext;

/** How many secrets are looked up at once: a batch of 1000 in parallel would take every connection of a pool. */
const CONCURRENT_LOOKUPS = 16;

/**
 * The response to leaked secrets: `inspect` tells a system admin which token a secret is, and
 * `revokeLeaked` revokes the live ones among reported strings. A string is a token's only when
 * the hash of its secret matches (the id alone, with another secret, is nobody's token).
 */
export function createLeakedTokens(context: LeakedTokensContext) {
  const { store, clock, hasher, prefix, hooks, rules, lookup } = context;
  const secretStart = prefix.length + 1 + TOKEN_ID_LENGTH;
  const secretEnd = secretStart + TOKEN_SECRET_LENGTH;

  /** The stored token whose secret this is, or `null`; earlier peppers count too. */
  async function tokenOf(secret: string): Promise<TokenRecord | null> {
    const id = parseTokenId(secret, prefix);
    if (id === null) return null;
    const record = await callStore("findById", () => store.findById(id));
    if (record === null) return null;
    if (constantTimeEqual(hasher.hash(secret, secretStart, secretEnd), record.secretHash))
      return record;
    for (const earlier of hasher.previous) {
      if (constantTimeEqual(earlier(secret, secretStart, secretEnd), record.secretHash))
        return record;
    }
    return null;
  }

  async function inspect(secret: string, actor: Actor): Promise<TokenView | null> {
    const who = sessionActor(actor, "inspect a token");
    if (typeof secret !== "string") {
      throw new ValidationError([{ path: ["secret"], message: "Must be text" }]);
    }
    await rules.assertSystemAdmin(who, "inspect a token by its secret");
    const record = await tokenOf(secret);
    return record === null ? null : toView(record, clock.now());
  }

  async function revokeLeaked(
    secrets: readonly string[],
    report?: LeakReportInput,
  ): Promise<LeakedTokensResult> {
    const distinct = [...new Set(parseInput(leakedSecretsSchema, secrets, ["secrets"]))];
    const data = parseInput(leakReportSchema, report ?? {}, ["report"]);
    const leak: LeakReport = { source: data.source ?? null, url: data.url ?? null };
    let matched = 0;
    let revoked = 0;
    for (let start = 0; start < distinct.length; start += CONCURRENT_LOOKUPS) {
      const batch = distinct.slice(start, start + CONCURRENT_LOOKUPS);
      const outcomes = await Promise.all(batch.map((secret) => revokeIfLive(secret, leak)));
      for (const outcome of outcomes) {
        if (outcome !== "unknown") matched++;
        if (outcome === "revoked") revoked++;
      }
    }
    return { matched, revoked };
  }

  async function revokeIfLive(
    secret: string,
    report: LeakReport,
  ): Promise<"unknown" | "matched" | "revoked"> {
    const record = await tokenOf(secret);
    if (record === null) return "unknown";
    const now = clock.now();
    // A token in its grace period is live: its grace ends now. An expired one needs nothing.
    if (isExpiredAt(record, now) || isRevokedAt(record, now)) return "matched";
    const after = await callStore("revoke", () => store.revoke(record.id, now, "leaked"));
    lookup.changed(record.id);
    // Revoked meanwhile by someone else (or gone): theirs to report.
    if (after?.revokedReason !== "leaked" || after.revokedAt?.getTime() !== now.getTime())
      return "matched";
    const token = toView(after, now);
    hooks.emit({ type: "token.revoked", at: now, actor: null, token, reason: "leaked", report });
    return "revoked";
  }

  return { inspect, revokeLeaked };
}
