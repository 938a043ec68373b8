import { randomBytes } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import type { PostgresClient } from "patkit/postgres";
import { roundRobin } from "../fixtures.js";
import type { CaseSpec } from "../harness.js";
import { BENCH_SCHEMA, DATABASE_TOKENS } from "./postgres.js";

const TABLE = `${BENCH_SCHEMA}.naive_keys`;

/**
 * The naive peer: what an application writes by hand. SHA-256 of the whole key (same noble
 * function), then `SELECT ... WHERE key_hash = $1` on its own table with a unique index on the
 * hash, over the same client, 100 keys round robin. One round trip; no format check, no
 * constant-time compare, no last-used bookkeeping.
 */
export async function prepareNaiveSelect(
  group: string,
  client: PostgresClient,
): Promise<(inFlight: number) => CaseSpec> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${BENCH_SCHEMA}`);
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await client.query(`CREATE TABLE ${TABLE} (
    id text PRIMARY KEY,
    key_hash bytea NOT NULL UNIQUE,
    user_id text NOT NULL,
    permissions text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
  )`);
  const encoder = new TextEncoder();
  const keys: string[] = [];
  for (let i = 0; i < DATABASE_TOKENS; i++) {
    const key = `sk_${randomBytes(32).toString("base64url")}`;
    keys.push(key);
    await client.query(
      `INSERT INTO ${TABLE} (id, key_hash, user_id, permissions) VALUES ($1, $2, $3, $4)`,
      [`key${i}`, Buffer.from(sha256(encoder.encode(key))), "bench-user", "REPO_WRITE"],
    );
  }
  const text = `SELECT id, user_id, permissions, expires_at, revoked_at FROM ${TABLE} WHERE key_hash = $1`;
  return (inFlight) => {
    const next = roundRobin(keys);
    const verify = async () => {
      const hash = sha256(encoder.encode(next()));
      const { rows } = await client.query(text, [Buffer.from(hash.buffer, hash.byteOffset, 32)]);
      const row = rows[0] as { revoked_at: Date | null } | undefined;
      if (!row || row.revoked_at !== null) throw new Error("A naive key failed in the bench");
    };
    return { group, name: "naive: sha256 + SELECT by hash", async: verify, inFlight };
  };
}
