import { createPostgresStore, migrate } from "patkit/postgres";
import { createTestRecord } from "patkit/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL, dropSchema, freshSchema, uniqueSchema } from "./support.js";

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

  it("keeps two long schema names apart on one connection (PostgreSQL keeps 63 bytes of a name)", async () => {
    // Unique to this run, then padded: the two names differ only in their last characters.
    const base = uniqueSchema("long").padEnd(46, "x");
    const first = { schema: `${base}_aa` };
    const second = { schema: `${base}_bb` };
    await migrate(client, first);
    await migrate(client, second);
    try {
      const one = createPostgresStore({ client, schema: first.schema });
      const two = createPostgresStore({ client, schema: second.schema });
      const a = createTestRecord();
      const b = createTestRecord();
      await one.insert(a, limit);
      await two.insert(b, limit);
      expect((await one.findById(a.id))?.id).toBe(a.id);
      expect((await two.findById(b.id))?.id).toBe(b.id);
      expect(await one.findById(b.id)).toBeNull();
      expect(await two.findById(a.id)).toBeNull();
      const names = (await preparedOnConnection()).filter((name) => !name.includes(schema.schema));
      expect(new Set(names).size).toBe(2);
      for (const name of names) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    } finally {
      await dropSchema(client, first.schema);
      await dropSchema(client, second.schema);
    }
  });
});
