import { type AccessTokens, createAccessTokens, type HostAccess, LimitExceededError } from "patkit";
import { createPostgresStore } from "patkit/postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, DATABASE_URL, dropSchema, freshSchema } from "./support.js";

// The per-owner limit must not depend on the isolation level a session starts with: a server,
// database or role default that patkit does not control.
const access: HostAccess = {
  hasPermission: () => true,
  isSystemAdmin: (userId) => userId === "admin",
};
const owner = { kind: "user", userId: "grace" } as const;
const grace = { userId: "grace" };

/** Creates `count` tokens for grace at once; the ones created and the reasons for the rest. */
async function createAtOnce(tokens: AccessTokens, count: number) {
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      tokens.create({ owner, name: `token ${index}`, permissions: ["REPO_READ"] }, grace),
    ),
  );
  return {
    created: outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : [])),
    refused: outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : [])),
  };
}

const LEVELS = [
  ["read committed", "read\\ committed"],
  ["repeatable read", "repeatable\\ read"],
  ["serializable", "serializable"],
] as const;

for (const [level, option] of LEVELS) {
  describe.skipIf(!DATABASE_URL)(`sessions that default to ${level}`, () => {
    let pool: pg.Pool;
    let schema: string;

    beforeAll(async () => {
      pool = createPool({
        max: 10,
        options: `-c default_transaction_isolation=${option}`,
        application_name: "patkit-isolation",
      });
      ({ schema } = await freshSchema(pool, "isolation"));
    });
    afterAll(async () => {
      await dropSchema(pool, schema);
      await pool.end();
    });

    it(`keep the per-owner limit: 20 concurrent creates with a limit of 3 leave exactly 3`, async () => {
      const { rows } = await pool.query("SHOW transaction_isolation");
      expect(rows).toEqual([{ transaction_isolation: level }]);
      const tokens = createAccessTokens({
        store: createPostgresStore({ client: pool, schema }),
        access,
      });
      await tokens.setPolicy({ expiryRequired: false, maxTokensPerOwner: 3 }, { userId: "admin" });

      const first = await createAtOnce(tokens, 20);
      expect(first.created).toHaveLength(3);
      expect(first.refused).toHaveLength(17);
      for (const reason of first.refused) expect(reason).toBeInstanceOf(LimitExceededError);
      const count = async () =>
        (
          await pool.query(
            `SELECT count(*)::int AS n FROM "${schema}".patkit_tokens WHERE user_id = 'grace'`,
          )
        ).rows;
      expect(await count()).toEqual([{ n: 3 }]);

      // A revoked token frees one slot, for exactly one of the next burst.
      await tokens.revoke(first.created[0]?.token.id as string, grace);
      const second = await createAtOnce(tokens, 10);
      expect(second.created).toHaveLength(1);
      for (const reason of second.refused) expect(reason).toBeInstanceOf(LimitExceededError);
      expect(await count()).toEqual([{ n: 4 }]);
      await tokens.close();
    });
  });
}
