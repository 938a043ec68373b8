import type { AccessTokens } from "patkit";
import { USER } from "../fixtures.js";
import { type CaseResult, measure, type TimeBox } from "../harness.js";

/**
 * Management throughput through the public API, one call in flight: create (validation, policy,
 * random secret, hash, insert), update (rename, alternating between two names so every call
 * changes something) and revoke (each token once: the tokens the create case made).
 */
export async function managementCases(
  group: string,
  tokens: AccessTokens,
  box: TimeBox,
): Promise<CaseResult[]> {
  const owner = { kind: "user", userId: USER.userId } as const;
  const created: string[] = [];
  let n = 0;
  const create = await measure(
    {
      group,
      name: "create",
      async: async () => {
        const { token } = await tokens.create(
          { owner, name: `created ${n++}`, permissions: ["REPO_READ"] },
          USER,
        );
        created.push(token.id);
      },
    },
    box,
  );

  const target = created[0] as string;
  let flip = false;
  const update = await measure(
    {
      group,
      name: "update (rename)",
      async: () => {
        flip = !flip;
        return tokens.update(target, { name: flip ? "renamed a" : "renamed b" }, USER);
      },
    },
    box,
  );

  let next = 1;
  const revoke = await measure(
    {
      group,
      name: "revoke",
      async: () => tokens.revoke(created[next++] as string, USER),
      exhausted: () => next >= created.length,
    },
    box,
  );
  if (next >= created.length)
    revoke.notes.push(
      `ran out of tokens to revoke after ${created.length - 1} (time box cut short)`,
    );
  return [create, update, revoke];
}
