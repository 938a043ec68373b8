import type { TokenStore } from "patkit";
import type { ListPosition, TokenRecord } from "patkit/store";

/**
 * Everything a store holds, read through the port itself (so it works for every adapter):
 * every record, hashes as hex, and the policy. Two equal snapshots mean nothing changed.
 */
export async function snapshotStore(store: TokenStore): Promise<string> {
  const records: TokenRecord[] = [];
  let after: ListPosition | undefined;
  for (;;) {
    const page = await store.list({ limit: 500, ...(after && { after }) });
    records.push(...page);
    const last = page[page.length - 1];
    if (page.length < 500 || !last) break;
    after = { createdAt: last.createdAt, id: last.id };
  }
  const policy = await store.getPolicy();
  return JSON.stringify({
    policy,
    records: records.map((record) => ({
      ...record,
      secretHash: Buffer.from(record.secretHash).toString("hex"),
    })),
  });
}
