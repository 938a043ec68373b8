import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { BENCH_PEPPER } from "../fixtures.js";
import type { CaseSpec } from "../harness.js";

/**
 * The floor: what any verify must do at least. The hash patkit computes (noble SHA-256, or
 * HMAC-SHA-256 under a pepper) of the 43-character secret, plus one Map lookup by the 16-character
 * id, in a synchronous loop. The input bytes are ready-made, so the floor does not even pay for
 * reading the string.
 */
export function floorSpecs(secret: string): { sha256: CaseSpec; hmac: CaseSpec } {
  const id = secret.slice(4, 20);
  const input = new TextEncoder().encode(secret.slice(20, 63));
  if (input.length !== 43) throw new Error("Expected a 43-character secret part");
  const records = new Map<string, { id: string }>();
  for (let i = 0; i < 1000; i++) records.set(`${i}`.padStart(16, "x"), { id: `${i}` });
  records.set(id, { id });
  // The cheapest public way to HMAC many messages under one key: clone the keyed state.
  const keyed = hmac.create(sha256, new TextEncoder().encode(BENCH_PEPPER));
  return {
    sha256: {
      group: "floor",
      name: "noble sha256(43 bytes) + Map.get",
      sync: () => {
        sha256(input);
        return records.get(id);
      },
    },
    hmac: {
      group: "floor",
      name: "noble hmac-sha256(43 bytes) + Map.get",
      sync: () => {
        keyed.clone().update(input).digest();
        return records.get(id);
      },
    },
  };
}
