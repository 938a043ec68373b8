import { LimitExceededError, ValidationError } from "patkit";
import {
  createPostgresStore,
  LATEST_SCHEMA_VERSION,
  migrate,
  renderMigrations,
} from "patkit/postgres";
import { createTestRecord, testInstant } from "patkit/testing";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { DATABASE_URL, describeOnBackends, dropSchema, uniqueSchema } from "./support.js";

/** Every migration this release ships, in the order `migrate` applies them. */
const ALL_VERSIONS = renderMigrations().map((migration) => migration.version);

describe("renderMigrations", () => {
  it("is what sql/postgres/ ships, for the default schema and prefix", async () => {
    const [initial] = renderMigrations();
    expect(initial?.version).toBe(1);
    // After changing a migration: npx vitest run test/adapters/postgres/migrate.test.ts --update
    await expect(initial?.sql).toMatchFileSnapshot("../../../sql/postgres/001_initial.sql");
    const limit = renderMigrations().find((migration) => migration.version === 2);
    await expect(limit?.sql).toMatchFileSnapshot(
      "../../../sql/postgres/002_limit_under_any_isolation.sql",
    );
    const lifecycle = renderMigrations().find((migration) => migration.version === 3);
    await expect(lifecycle?.sql).toMatchFileSnapshot("../../../sql/postgres/003_lifecycle.sql");
    const maintenance = renderMigrations().find((migration) => migration.version === 4);
    await expect(maintenance?.sql).toMatchFileSnapshot("../../../sql/postgres/004_maintenance.sql");
  });

  it("names the schema and prefix it was given", () => {
    const [initial] = renderMigrations({ schema: "auth", tablePrefix: "pat_" });
    expect(initial?.sql).toContain('CREATE TABLE "auth"."pat_tokens"');
    expect(initial?.sql).not.toContain("patkit_tokens");
  });
});

describe("schema and tablePrefix validation", () => {
  const client = { query: async () => ({ rows: [] }) };

  it.each([
    ["schema", { schema: 'public"; DROP TABLE x; --' }],
    ["schema", { schema: "Public" }],
    ["schema", { schema: "" }],
    ["schema", { schema: "9lives" }],
    ["schema", { schema: "a".repeat(64) }],
    ["tablePrefix", { tablePrefix: "pat-" }],
    ["tablePrefix", { tablePrefix: "a b" }],
    ["tablePrefix", { tablePrefix: "p".repeat(44) }],
    ["schema", { schema: "s".repeat(40), tablePrefix: "p".repeat(20) }],
  ])("refuses an unsafe %s (%j) with a ValidationError naming it", async (field, options) => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      return null;
    };
    const fromStore = refusal(() => createPostgresStore({ client, ...options }));
    expect(fromStore).toBeInstanceOf(ValidationError);
    expect((fromStore as ValidationError).fields).toContain(field);
    const fromMigrate = await migrate(client, options).catch((error: unknown) => error);
    expect(fromMigrate).toBeInstanceOf(ValidationError);
    expect((fromMigrate as ValidationError).fields).toContain(field);
  });

  it("accepts an empty prefix", async () => {
    expect(() => createPostgresStore({ client, tablePrefix: "" })).not.toThrow();
  });
});

describeOnBackends("migrate", (client) => {
  it("creates the schema and its tables, then finds nothing left to do", async () => {
    const schema = uniqueSchema("migrate");
    try {
      expect(await migrate(client(), { schema })).toEqual({
        version: LATEST_SCHEMA_VERSION,
        applied: ALL_VERSIONS,
      });
      expect(await migrate(client(), { schema })).toEqual({
        version: LATEST_SCHEMA_VERSION,
        applied: [],
      });
      const { rows } = await client().query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [schema],
      );
      expect(rows).toEqual([
        { table_name: "patkit_migrations" },
        { table_name: "patkit_owner_inserts" },
        { table_name: "patkit_policy" },
        { table_name: "patkit_tokens" },
      ]);
    } finally {
      await dropSchema(client(), schema);
    }
  });

  it("applies each migration once when instances migrate at the same time", async () => {
    const schema = uniqueSchema("race");
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => migrate(client(), { schema })),
      );
      expect(results.map((result) => result.version)).toEqual(Array(6).fill(LATEST_SCHEMA_VERSION));
      expect(results.flatMap((result) => result.applied)).toEqual(ALL_VERSIONS);
      const { rows } = await client().query(
        `SELECT version FROM "${schema}".patkit_migrations ORDER BY version`,
      );
      expect(rows).toEqual(ALL_VERSIONS.map((version) => ({ version })));
    } finally {
      await dropSchema(client(), schema);
    }
  });

  it("keeps two prefixes in one schema apart", async () => {
    const schema = uniqueSchema("prefixes");
    try {
      await migrate(client(), { schema, tablePrefix: "a_" });
      expect((await migrate(client(), { schema, tablePrefix: "b_" })).applied).toEqual(
        ALL_VERSIONS,
      );
      const { rows } = await client().query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
        [schema],
      );
      expect(rows).toEqual([{ n: 8 }]);
    } finally {
      await dropSchema(client(), schema);
    }
  });

  it("upgrades a database at versions 1 and 4 by applying 2; its tokens count toward the limit", async () => {
    const schema = uniqueSchema("upgrade");
    const run = (sql: string) => {
      const runner = client();
      return typeof runner.exec === "function" ? runner.exec(sql) : runner.query(sql);
    };
    try {
      // A database migrated by a release that shipped 1 and 4 only.
      await run(`CREATE SCHEMA "${schema}";
        CREATE TABLE "${schema}".patkit_migrations (version integer PRIMARY KEY,
          name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const migration of renderMigrations({ schema })) {
        if (migration.version === 2) continue;
        await run(migration.sql);
        await client().query(
          `INSERT INTO "${schema}".patkit_migrations (version, name) VALUES ($1, $2)`,
          [migration.version, migration.name],
        );
      }
      const store = createPostgresStore({ client: client(), schema });
      const limit = { maxTokensPerOwner: 2, now: testInstant() };
      await store.insert(createTestRecord(), limit);

      expect(await migrate(client(), { schema })).toEqual({
        version: LATEST_SCHEMA_VERSION,
        applied: [2],
      });
      await store.insert(createTestRecord(), limit);
      const refused = await Promise.resolve(store.insert(createTestRecord(), limit)).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(LimitExceededError);
      const { rows } = await client().query(
        `SELECT count(*)::int AS n FROM "${schema}".patkit_owner_inserts`,
      );
      expect(rows).toEqual([{ n: 1 }]); // the upgraded function queues on the owner's row
    } finally {
      await dropSchema(client(), schema);
    }
  });

  it("leaves nothing behind when it fails", async () => {
    const schema = uniqueSchema("failing");
    try {
      // A table of that name already exists, so migration 1 fails half-way through.
      await client().query(`CREATE SCHEMA "${schema}"`);
      await client().query(`CREATE TABLE "${schema}".patkit_policy (x int)`);
      const error = await migrate(client(), { schema }).catch((failure: unknown) => failure);
      expect(error).toMatchObject({ code: "STORE_UNAVAILABLE" });
      const { rows } = await client().query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
        [schema],
      );
      expect(rows).toEqual([{ table_name: "patkit_policy" }]);
      // The connection is usable afterwards: no transaction was left open.
      expect((await client().query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    } finally {
      await dropSchema(client(), schema);
    }
  });
});

describe.skipIf(!DATABASE_URL)("migrate through a pg Client, from separate connections", () => {
  it("applies the schema once when several clients race", async () => {
    const schema = uniqueSchema("clients");
    const clients = Array.from({ length: 4 }, () => new pg.Client(DATABASE_URL));
    await Promise.all(clients.map((each) => each.connect()));
    try {
      const results = await Promise.all(clients.map((each) => migrate(each, { schema })));
      expect(results.flatMap((result) => result.applied)).toEqual(ALL_VERSIONS);
    } finally {
      await dropSchema(clients[0] as pg.Client, schema);
      await Promise.all(clients.map((each) => each.end()));
    }
  });
});
