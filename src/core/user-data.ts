import type { TokenRules } from "./authorization.js";
import type { Clock } from "./clock.js";
import { ForbiddenError, ValidationError } from "./errors.js";
import type { HookRunner } from "./events.js";
import { requireStoreMethods } from "./maintenance.js";
import type { RecordLookup } from "./record-lookup.js";
import { actorSchema, eraseInputSchema, parseInput, userIdSchema } from "./schemas.js";
import type { ListPosition, TokenRecord, TokenStore, UserErasure } from "./store.js";
import { callStore } from "./store-calls.js";
import type { Actor, TokenView } from "./types.js";
import { toView } from "./view.js";

/** Everything patkit keeps about one user, as `exportUser` answers it (plain JSON once serialized). */
export interface UserExport {
  readonly userId: string;
  /** The user's personal tokens, any status, oldest first. */
  readonly personalTokens: TokenView[];
  /** Every token the user created (their personal ones included), any status, oldest first. */
  readonly createdTokens: TokenView[];
}

/** The input of `eraseUser`. */
export interface EraseUserInput {
  /** What replaces the user id where a token records who created it; not the user id itself. */
  readonly pseudonym: string;
}

/** What `eraseUser` did. */
export interface EraseUserResult {
  /** Personal tokens deleted (any status). */
  readonly deleted: number;
  /** Other tokens whose creator now reads as the pseudonym. */
  readonly pseudonymized: number;
}

/** What the data-subject calls need from `createAccessTokens`. */
export interface UserDataContext {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly hooks: HookRunner;
  readonly rules: TokenRules;
  readonly lookup: RecordLookup;
}

/** How many records one listing call reads while exporting. */
const EXPORT_BATCH = 500;

/** A user's data: export it (access by the data subject), erase it (right to erasure). */
export function createUserData(context: UserDataContext) {
  const { store, clock, hooks, rules, lookup } = context;

  async function exportUser(userId: string, actor: Actor): Promise<UserExport> {
    const id = parseInput(userIdSchema, userId, ["userId"]);
    const who = sessionActor(actor, "export a user's data");
    requireStoreMethods(store, "exportUser", ["listCreatedBy"]);
    if (who.userId !== id) await rules.assertSystemAdmin(who, "export another user's data");
    const owner = { kind: "user", userId: id } as const;
    const personal = await readAll((after) =>
      callStore("list", () => store.list({ owner, after, limit: EXPORT_BATCH })),
    );
    const created = await readAll((after) =>
      callStore("listCreatedBy", () =>
        store.listCreatedBy({ createdBy: id, after, limit: EXPORT_BATCH }),
      ),
    );
    const now = clock.now();
    return {
      userId: id,
      personalTokens: personal.map((record) => toView(record, now)),
      createdTokens: created.map((record) => toView(record, now)),
    };
  }

  async function eraseUser(
    userId: string,
    input: EraseUserInput,
    actor: Actor,
  ): Promise<EraseUserResult> {
    const id = parseInput(userIdSchema, userId, ["userId"]);
    const { pseudonym } = parseInput(eraseInputSchema, input);
    if (pseudonym === id) {
      throw new ValidationError([
        { path: ["pseudonym"], message: "Must differ from the user id it replaces" },
      ]);
    }
    const who = sessionActor(actor, "erase a user");
    requireStoreMethods(store, "eraseUser", ["eraseUser"]);
    await rules.assertSystemAdmin(who, "erase a user");
    let result: UserErasure;
    try {
      result = await callStore("eraseUser", () => store.eraseUser(id, pseudonym));
    } finally {
      // Also on failure: the erasure may have committed with only its answer lost.
      lookup.changedAll();
    }
    hooks.emit({ type: "user.erased", at: clock.now(), actor: who, pseudonym });
    return { deleted: result.deleted, pseudonymized: result.pseudonymized };
  }

  return { exportUser, eraseUser };
}

/** A signed-in actor: a user's data (or a token by its secret) is never read through an access token. */
export function sessionActor(actor: Actor, action: string): Actor {
  const data = parseInput(actorSchema, actor, ["actor"]);
  if (data.via === "token") {
    throw new ForbiddenError(`Sign in another way to ${action}: not with an access token`);
  }
  return { userId: data.userId, ...(data.via !== undefined && { via: data.via }) };
}

async function readAll(
  page: (after: ListPosition | undefined) => Promise<TokenRecord[]>,
): Promise<TokenRecord[]> {
  const all: TokenRecord[] = [];
  let after: ListPosition | undefined;
  for (;;) {
    const batch = await page(after);
    all.push(...batch);
    const last = batch[batch.length - 1];
    if (batch.length < EXPORT_BATCH || last === undefined) return all;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
