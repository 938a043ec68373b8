import type { PGlite } from "@electric-sql/pglite";
import { createPostgresStore, migrate } from "patkit/postgres";
import { testTokenStore } from "patkit/testing";
import type pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import {
  createPGlite,
  createPool,
  DATABASE_URL,
  dropSchema,
  freshSchema,
  uniqueSchema,
} from "./support.js";

describe("on PGlite", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await createPGlite();
  });
  afterAll(async () => {
    await db.close();
  });

  testTokenStore("PostgreSQL store", async ({ key }) => {
    const { schema, drop } = await freshSchema(db, key);
    return { store: createPostgresStore({ client: db, schema }), cleanup: drop };
  });

  testTokenStore("PostgreSQL store with a table prefix", async ({ key }) => {
    const schema = uniqueSchema(key);
    const tablePrefix = "pat_";
    await migrate(db, { schema, tablePrefix });
    const drop = () => dropSchema(db, schema);
    return { store: createPostgresStore({ client: db, schema, tablePrefix }), cleanup: drop };
  });
});

describe.skipIf(!DATABASE_URL)("on a PostgreSQL server (DATABASE_URL)", () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = createPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  testTokenStore("PostgreSQL store through a pg Pool", async ({ key }) => {
    const { schema, drop } = await freshSchema(pool, key);
    const store = createPostgresStore({
      client: pool,
      schema,
      listen: { connect: () => pool.connect() },
    });
    return { store, cleanup: drop };
  });
});
