import { createManualClock } from "patkit";
import { createMemoryStore } from "patkit/memory";
import {
  accessTokensOn,
  BENCH_PEPPER,
  createPersonalTokens,
  REQUIREMENT,
  unknownToken,
  withBadChecksum,
} from "../fixtures.js";
import type { CaseSpec } from "../harness.js";

const GROUP = "patkit, memory store";

/** The memory-store verify cases, checked once each, and a real secret for the floor to hash. */
export interface MemoryVerifyCases {
  readonly secret: string;
  readonly valid: CaseSpec;
  readonly requirement: CaseSpec;
  readonly unknown: CaseSpec;
  readonly badChecksum: CaseSpec;
  readonly expired: CaseSpec;
  readonly pepper: CaseSpec;
  /** Writes pending last-authenticated times. */
  flush(): Promise<void>;
}

/**
 * `verifyToken` on the memory store, one in flight: a valid token, with a requirement (the host's
 * `hasPermission` is asked), an unknown id, a bad checksum, an expired token, and a valid token
 * under a pepper (HMAC). Each answer is checked once before anything is timed.
 */
export async function memoryVerifyCases(): Promise<MemoryVerifyCases> {
  const store = createMemoryStore();
  const tokens = accessTokensOn(store);
  const [secret] = (await createPersonalTokens(tokens, 1)) as [string];
  // Neighbours, so the lookup is not into a one-entry Map.
  await createPersonalTokens(tokens, 999);

  const clock = createManualClock(new Date());
  const expiring = accessTokensOn(store, { clock });
  const [expired] = (await createPersonalTokens(expiring, 1, 1)) as [string];
  clock.advance(2 * 24 * 60 * 60 * 1000);

  const peppered = accessTokensOn(createMemoryStore(), { pepper: BENCH_PEPPER });
  const [pepperedSecret] = (await createPersonalTokens(peppered, 1)) as [string];

  const unknown = await unknownToken();
  const badChecksum = withBadChecksum(secret);

  const spec = async (
    name: string,
    op: () => Promise<{ ok: boolean; reason?: string }>,
    expected: string,
  ): Promise<CaseSpec> => {
    const answer = await op();
    const got = answer.ok ? "ok" : answer.reason;
    if (got !== expected) throw new Error(`${name}: expected ${expected}, got ${got}`);
    return { group: GROUP, name, async: op };
  };
  return {
    secret,
    valid: await spec("verifyToken: valid", () => tokens.verifyToken(secret), "ok"),
    requirement: await spec(
      "verifyToken: valid + requirement (host hasPermission)",
      () => tokens.verifyToken(secret, REQUIREMENT),
      "ok",
    ),
    unknown: await spec("verifyToken: unknown id", () => tokens.verifyToken(unknown), "unknown"),
    badChecksum: await spec(
      "verifyToken: bad checksum",
      () => tokens.verifyToken(badChecksum),
      "malformed",
    ),
    expired: await spec("verifyToken: expired", () => expiring.verifyToken(expired), "expired"),
    pepper: await spec(
      "verifyToken: valid, pepper (HMAC)",
      () => peppered.verifyToken(pepperedSecret),
      "ok",
    ),
    async flush() {
      await Promise.all([tokens.flush(), expiring.flush(), peppered.flush()]);
    },
  };
}
