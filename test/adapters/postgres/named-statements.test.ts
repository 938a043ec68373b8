import { createPostgresStore } from "patkit/postgres";
import { createTestRecord } from "patkit/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL, freshSchema } from "./support.js";

const limit = { maxTokensPerOwner: null, now: new Date() };

describe.skipIf(!DATABASE_URL)("the verify lookup on pg is a named prepared statement", () => {
  let client: pg.Client;
  let schema: { schema: string; drop: () => Promise<void> };
  beforeAll(async () => {
    client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    schema = await freshSchema(client, "named");
  });
  afterAll(async () => {
    await schema.drop();
    await client.end();
  });

  async function preparedOnConnection(): Promise<string[]> {
    const { rows } = await client.query<{ name: string }>(
      "SELECT name FROM pg_prepared_statements",
    );
    return rows.map((row) => row.name);
  }

  it("is prepared once on the connection and then reused", async () => {
    const store = createPostgresStore({ client, schema: schema.schema });
    const record = createTestRecord();
    await store.insert(record, limit);
    expect(await preparedOnConnection()).toEqual([]);
    expect((await store.findById(record.id))?.id).toBe(record.id);
    expect(await store.findById("nope")).toBeNull();
    const prepared = await preparedOnConnection();
    expect(prepared).toHaveLength(1);
    expect(prepared[0]).toContain(schema.schema);
  });

  it("can be turned off", async () => {
    const other = new pg.Client({ connectionString: DATABASE_URL });
    await other.connect();
    try {
      const store = createPostgresStore({
        client: other,
        schema: schema.schema,
        namedStatements: false,
      });
      await store.findById("nope");
      const { rows } = await other.query("SELECT name FROM pg_prepared_statements");
      expect(rows).toEqual([]);
    } finally {
      await other.end();
    }
  });
});
