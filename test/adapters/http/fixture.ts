import type { Requirement } from "patkit";
import { createMemoryStore } from "patkit/memory";
import { type FaultyStore, faultyStore } from "../../support/faulty-store.js";
import {
  alice,
  aliceOwner,
  createHarness,
  type Harness,
  projectP,
  repoP1,
} from "../../support/host.js";

/** A token service with one token of each kind, over a store that fails on command. */
export interface HttpFixture extends Harness {
  readonly faulty: FaultyStore;
  /** alice's personal token: PROJECT_READ + REPO_WRITE. */
  readonly personal: { id: string; secret: string };
  /** Project P's token: REPO_READ. */
  readonly project: { id: string; secret: string };
  /** Repository P/R1's token: REPO_WRITE. */
  readonly repository: { id: string; secret: string };
}

/** Requirements on project P and its repositories R1 and R2. */
export const readR1: Requirement = { permission: "REPO_READ", projectId: "P", repositoryId: "R1" };
export const writeR1: Requirement = {
  permission: "REPO_WRITE",
  projectId: "P",
  repositoryId: "R1",
};
export const readR2: Requirement = { permission: "REPO_READ", projectId: "P", repositoryId: "R2" };

/** Builds the fixture: alice administers P (so she may write R1), per the shared harness. */
export async function createHttpFixture(): Promise<HttpFixture> {
  const faulty = faultyStore(createMemoryStore());
  const harness = createHarness({ store: faulty.store });
  const make = async (
    owner: Parameters<Harness["tokens"]["create"]>[0]["owner"],
    permissions: string[],
  ) => {
    const created = await harness.tokens.create(
      { owner, name: `${owner.kind} token`, permissions: permissions as never },
      alice,
    );
    return { id: created.token.id, secret: created.secret };
  };
  return {
    ...harness,
    faulty,
    personal: await make(aliceOwner, ["PROJECT_READ", "REPO_WRITE"]),
    project: await make(projectP, ["REPO_READ"]),
    repository: await make(repoP1, ["REPO_WRITE"]),
  };
}

/** `Basic base64(username:password)`. */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** The values of a header in a rejection's header list, in order. */
export function headerValues(
  headers: readonly (readonly [string, string])[],
  name: string,
): string[] {
  return headers
    .filter(([key]) => key.toLowerCase() === name.toLowerCase())
    .map(([, value]) => value);
}

/** Options whose `realm` counts its reads: how a test sees that options are prepared once. */
export function countingRealm(realm: string): { readonly realm: string; readonly reads: number } {
  let reads = 0;
  return {
    get realm() {
      reads++;
      return realm;
    },
    get reads() {
      return reads;
    },
  };
}
