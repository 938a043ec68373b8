import type { AccessTokens } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { accessTokensOn, createPersonalTokens, USER } from "../fixtures.js";
import {
  type CaseResult,
  type CaseSpec,
  measure,
  measureInterleaved,
  type TimeBox,
} from "../harness.js";

/** A rate limit so large that no bench token ever reaches it: the cost of the bucket alone. */
const UNREACHABLE_LIMIT = { capacity: 1_000_000_000_000, refillPerSecond: 1_000_000_000 };

/**
 * The verify path on the memory store three ways, interleaved so they meet the same machine:
 * plain, with `{ clientIp }` (normalised only when the batched write is due: at most once a
 * minute per token), and with `rateLimit` (a bucket per token, never empty here).
 */
export async function verifyOptionCases(box: TimeBox): Promise<CaseResult[]> {
  const store = createMemoryStore();
  const plain = accessTokensOn(store);
  const limited = accessTokensOn(store, { rateLimit: UNREACHABLE_LIMIT });
  const [secret] = (await createPersonalTokens(plain, 1)) as [string];
  await createPersonalTokens(plain, 999);
  const group = "patkit, memory store: verify options";
  const specs: CaseSpec[] = [
    { group, name: "verifyToken (plain)", async: () => plain.verifyToken(secret) },
    {
      group,
      name: "verifyToken with clientIp",
      async: () => plain.verifyToken(secret, null, { clientIp: "2001:db8::1" }),
    },
    { group, name: "verifyToken with rateLimit", async: () => limited.verifyToken(secret) },
  ];
  for (const spec of specs) {
    const answer = (await (spec as { async: () => Promise<{ ok: boolean }> }).async()).ok;
    if (!answer) throw new Error(`${spec.name}: the token did not verify`);
  }
  const results = await measureInterleaved(specs, box, 4);
  await plain.flush();
  return results;
}

/**
 * `rotate` through the public API, one call in flight, each call rotating the token the
 * previous one made (a chain: a token is rotated once). On PostgreSQL it is one statement.
 */
export async function rotateCase(
  group: string,
  tokens: AccessTokens,
  box: TimeBox,
): Promise<CaseResult> {
  const owner = { kind: "user", userId: USER.userId } as const;
  let current = (
    await tokens.create(
      { owner, name: "rotated", permissions: ["REPO_READ"], expiryDays: 30 },
      USER,
    )
  ).token.id;
  return measure(
    {
      group,
      name: "rotate (grace 60 s)",
      async: async () => {
        current = (await tokens.rotate(current, { graceSeconds: 60 }, USER)).token.id;
      },
    },
    box,
  );
}

/**
 * `revokeLeaked` of 1000 strings that are all stored tokens' secrets (a hash and a lookup each,
 * 16 lookups in flight). The first call revokes them; the timed calls find them revoked, which
 * costs the same lookups without the 1000 writes (see the note).
 */
export async function revokeLeakedCase(
  group: string,
  tokens: AccessTokens,
  box: TimeBox,
): Promise<CaseResult> {
  const secrets = await createPersonalTokens(tokens, 1000);
  const first = await tokens.revokeLeaked(secrets, { source: "bench" });
  if (first.revoked !== 1000) throw new Error(`revokeLeaked revoked ${first.revoked} of 1000`);
  const result = await measure(
    { group, name: "revokeLeaked (1000 secrets)", async: () => tokens.revokeLeaked(secrets) },
    box,
  );
  result.notes.push("each call: 1000 stored secrets, already revoked by a first call (not timed)");
  return result;
}
