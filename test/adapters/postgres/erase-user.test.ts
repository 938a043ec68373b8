import { createAccessTokens, createManualClock, DAY_MS } from "patkit";
import { createPostgresStore } from "patkit/postgres";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeOnBackends, freshSchema, type Sql } from "./support.js";

// The user id is chosen so it cannot occur by chance in ids, hashes or timestamps.
const USER = "erin-7Qz";
const PSEUDONYM = "erased-0001";
const access = { hasPermission: () => true, isSystemAdmin: (userId: string) => userId === "root" };
const root = { userId: "root", via: "session" } as const;
const erin = { userId: USER, via: "session" } as const;

/** Every row of every table in `schema`, as JSON text: what a database dump would hold. */
async function dumpSchema(client: Sql, schema: string): Promise<string> {
  const { rows } = await client.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
    [schema],
  );
  const tables = (rows as { table_name: string }[]).map((row) => row.table_name);
  expect(tables.length).toBeGreaterThan(1);
  let dump = "";
  for (const table of tables) {
    const result = await client.query(
      `SELECT row_to_json(t)::text AS row FROM "${schema}"."${table}" AS t`,
    );
    for (const row of result.rows as { row: string }[]) dump += `${table}: ${row.row}\n`;
  }
  return dump;
}

describeOnBackends("eraseUser on PostgreSQL", (client) => {
  let schema: string;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ schema, drop } = await freshSchema(client(), "erase"));
  });
  afterEach(async () => {
    await drop();
  });

  it("leaves the user id in no row of any patkit table", async () => {
    const clock = createManualClock(new Date("2026-01-01T00:00:00.000Z"));
    const store = createPostgresStore({ client: client(), schema });
    const tokens = createAccessTokens({ store, clock, access });
    const owner = { kind: "user", userId: USER } as const;
    const used = await tokens.create({ owner, name: "laptop", permissions: ["REPO_READ"] }, erin);
    const revoked = await tokens.create(
      { owner, name: "ci", permissions: ["REPO_WRITE"], expiryDays: 1 },
      erin,
    );
    await tokens.revoke(revoked.token.id, erin);
    const project = await tokens.create(
      {
        owner: { kind: "project", projectId: "P1" },
        name: "deploy",
        permissions: ["PROJECT_READ", "REPO_READ"],
      },
      erin,
    );
    const others = await tokens.create(
      { owner: { kind: "user", userId: "frank" }, name: "x", permissions: ["REPO_READ"] },
      { userId: "frank", via: "session" },
    );
    expect((await tokens.verifyToken(used.secret)).ok).toBe(true);
    await tokens.flush();
    clock.advance(2 * DAY_MS);
    await tokens.runMaintenance();
    expect(await dumpSchema(client(), schema)).toContain(USER);

    expect(await tokens.eraseUser(USER, { pseudonym: PSEUDONYM }, root)).toEqual({
      deleted: 2,
      pseudonymized: 1,
    });
    const dump = await dumpSchema(client(), schema);
    expect(dump).not.toContain(USER);
    expect(dump).toContain(PSEUDONYM);
    expect(dump).toContain(project.token.id);
    expect(dump).toContain(others.token.id);
    expect(dump).not.toContain(used.token.id);
    await tokens.close();
  });
});
