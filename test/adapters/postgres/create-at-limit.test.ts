import { createAccessTokens, type HostAccess, LimitExceededError } from "patkit";
import { createPostgresStore } from "patkit/postgres";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeOnBackends, freshSchema } from "./support.js";

const access: HostAccess = {
  hasPermission: () => true,
  isSystemAdmin: (userId) => userId === "admin",
};

describeOnBackends("creating tokens at the owner's limit", (client, backend) => {
  let schema: string;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(client(), "limit"));
  });
  afterEach(async () => {
    await drop();
  });

  it(`50 concurrent creates against a limit of 10 leave exactly 10 (${backend})`, async () => {
    const tokens = createAccessTokens({
      store: createPostgresStore({ client: client(), schema }),
      access,
    });
    await tokens.setPolicy({ expiryRequired: false, maxTokensPerOwner: 10 }, { userId: "admin" });
    const owner = { kind: "user", userId: "grace" } as const;

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        tokens.create(
          { owner, name: `token ${index}`, permissions: ["REPO_WRITE"] },
          { userId: "grace" },
        ),
      ),
    );

    const created = outcomes.flatMap((outcome) =>
      outcome.status === "fulfilled" ? [outcome.value] : [],
    );
    const refused = outcomes.flatMap((outcome) =>
      outcome.status === "rejected" ? [outcome.reason] : [],
    );
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const reason of refused) expect(reason).toBeInstanceOf(LimitExceededError);

    const { rows } = await client().query(
      `SELECT count(*)::int AS n FROM "${schema}".patkit_tokens WHERE user_id = 'grace'`,
    );
    expect(rows).toEqual([{ n: 10 }]);
    const page = await tokens.list({ owner, limit: 100 }, { userId: "grace" });
    expect(page.items.map((token) => token.id).sort()).toEqual(
      created.map((each) => each.token.id).sort(),
    );
    // Every created token works; revoking one frees a slot for exactly one more.
    for (const each of created) expect((await tokens.verifyToken(each.secret)).ok).toBe(true);
    await tokens.revoke((created[0] as (typeof created)[number]).token.id, { userId: "grace" });
    const again = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        tokens.create({ owner, name: "again", permissions: ["REPO_READ"] }, { userId: "grace" }),
      ),
    );
    expect(again.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
  });
});
