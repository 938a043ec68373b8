import { type ParsedAuthorization, parseAuthorization } from "./authorization-header.js";
import type { Clock } from "./clock.js";
import { ValidationError } from "./errors.js";
import { constantTimeEqual, type SecretHasher } from "./hashing.js";
import type { HostAccess } from "./host-access.js";
import { isPermission, levelsOf, levelsSatisfy, ownerReaches } from "./permissions.js";
import type { RateLimitCheck } from "./rate-limit.js";
import type { RecordLookup } from "./record-lookup.js";
import type {
  Principal,
  TokenActor,
  VerifyFailureReason,
  VerifyOptions,
  VerifyResult,
  VerifySuccess,
} from "./results.js";
import type { TokenRecord, TokenStore } from "./store.js";
import { asStoreError, callStore } from "./store-calls.js";
import { parseTokenId, TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH } from "./token-format.js";
import type { Awaitable, Permission, Requirement, Resource, TokenView } from "./types.js";
import { toView } from "./view.js";

/** What the verify path needs from `createAccessTokens`. */
export interface VerificationContext {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly access: HostAccess;
  readonly hasher: SecretHasher;
  readonly prefix: string;
  /** Finds records, through the verification cache when there is one. */
  readonly lookup: RecordLookup;
  readonly recordAuthentication: (
    id: string,
    stored: Date | null,
    now: Date,
    clientIp: unknown,
  ) => void;
  /** The `rateLimit` check, when there is one. */
  readonly rateLimit: RateLimitCheck | undefined;
  readonly report: (error: unknown) => void;
  /** Told of a rotated-out secret used after its grace period. */
  readonly reused: (record: TokenRecord, now: Date) => void;
}

type Scheme = { kind: "bearer" } | { kind: "basic"; username: string };

const BEARER: Scheme = { kind: "bearer" };

const FAILURES: Readonly<Record<VerifyFailureReason, VerifyResult>> = Object.freeze({
  malformed: Object.freeze({ ok: false, reason: "malformed" }),
  unknown: Object.freeze({ ok: false, reason: "unknown" }),
  expired: Object.freeze({ ok: false, reason: "expired" }),
  revoked: Object.freeze({ ok: false, reason: "revoked" }),
  insufficient_permission: Object.freeze({ ok: false, reason: "insufficient_permission" }),
  inactive_owner: Object.freeze({ ok: false, reason: "inactive_owner" }),
  wrong_scheme: Object.freeze({ ok: false, reason: "wrong_scheme" }),
  rate_limited: Object.freeze({ ok: false, reason: "rate_limited" }),
});

// Compared against when no record exists, so unknown and known ids take the same path.
const ABSENT_HASH = new Uint8Array(32);

/**
 * The hot path: parse (no store call for anything malformed), hash, one lookup, constant-time
 * compare, then the checks in order: revoked, expired, scheme, active owner, requirement.
 */
export function createVerifier(context: VerificationContext) {
  const { store, clock, access, hasher, prefix } = context;

  const rateLimit = context.rateLimit;

  // Not `async`: resolving an async function with verifyCredential's promise would add ticks.
  function verifyToken(
    secret: unknown,
    requirement?: Requirement | null,
    options?: VerifyOptions | null,
  ): Promise<VerifyResult> {
    const clientIp = options?.clientIp;
    if (requirement != null) {
      try {
        checkRequirement(requirement);
      } catch (error) {
        return Promise.reject(error);
      }
      return verifyCredential(secret, BEARER, requirement, clientIp);
    }
    return verifyCredential(secret, BEARER, undefined, clientIp);
  }

  function authenticate(
    authorization: unknown,
    requirement?: Requirement | null,
    options?: VerifyOptions | null,
  ): Promise<VerifyResult> {
    try {
      if (requirement != null) checkRequirement(requirement);
      // patkit/http hands over the credential it already parsed; a string is parsed here.
      const credential =
        typeof authorization === "object" && authorization !== null
          ? (authorization as ParsedAuthorization)
          : parseAuthorization(authorization);
      const required = requirement ?? undefined;
      const clientIp = options?.clientIp;
      if (credential.ok === true) {
        if (credential.scheme === "bearer")
          return verifyCredential(credential.token, BEARER, required, clientIp);
        if (credential.scheme === "basic")
          return verifyCredential(
            credential.password,
            { kind: "basic", username: credential.username },
            required,
            clientIp,
          );
      }
      return Promise.resolve(
        FAILURES[
          (credential as { reason?: unknown }).reason === "unsupported_scheme"
            ? "wrong_scheme"
            : "malformed"
        ],
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  const secretStart = prefix.length + 1 + TOKEN_ID_LENGTH;
  const secretEnd = secretStart + TOKEN_SECRET_LENGTH;

  async function verifyCredential(
    secret: unknown,
    scheme: Scheme,
    requirement: Requirement | undefined,
    clientIp: unknown,
  ): Promise<VerifyResult> {
    const id = parseTokenId(secret, prefix);
    if (id === null) return FAILURES.malformed;
    const text = secret as string;
    // Hashed before the lookup, and compared against ABSENT_HASH without a record: known and
    // unknown ids take the same path.
    const computed = hasher.hash(text, secretStart, secretEnd);

    let found: TokenRecord | null;
    try {
      const lookup = context.lookup.find(id);
      found = lookup instanceof Promise ? await lookup : lookup;
    } catch (error) {
      throw asStoreError("findById", error);
    }
    let record = constantTimeEqual(computed, found?.secretHash ?? ABSENT_HASH) ? found : null;
    if (record === null && hasher.previous.length > 0) {
      record = matchEarlierPepper(text, secretStart, secretEnd, found);
      if (record !== null) rehash(record, computed);
    }
    if (record === null) return FAILURES.unknown;

    const now = clock.now();
    // A revocation may be scheduled (a rotated token's grace period): revoked from its instant.
    if (record.revokedAt !== null && now.getTime() >= record.revokedAt.getTime()) {
      if (record.revokedReason === "rotated") context.reused(record, now);
      return failure("revoked", record);
    }
    if (record.expiresAt !== null && now.getTime() >= record.expiresAt.getTime())
      return failure("expired", record);

    const owner = record.owner;
    if (scheme.kind === "basic") {
      if (owner.kind !== "user") return failure("wrong_scheme", record);
      const username = access.usernameOf ? await access.usernameOf(owner.userId) : owner.userId;
      // Another user's name with this secret: as if the pair matched no token.
      if (username !== scheme.username) return FAILURES.unknown;
    }
    if (owner.kind === "user" && access.isActiveUser) {
      const active = access.isActiveUser(owner.userId);
      if (!(typeof active === "boolean" ? active : await active))
        return failure("inactive_owner", record);
    }

    context.recordAuthentication(record.id, record.lastAuthenticatedAt, now, clientIp);

    if (rateLimit !== undefined) {
      const limited = rateLimit(record.id, now.getTime());
      const wait = typeof limited === "number" ? limited : await limited;
      if (wait > 0)
        return { ok: false, reason: "rate_limited", tokenId: record.id, retryAfterMs: wait };
    }

    if (requirement !== undefined) {
      const allowed = meets(record, requirement);
      if (!(typeof allowed === "boolean" ? allowed : await allowed))
        return failure("insufficient_permission", record);
    }
    // Always a copy: a record may be the cache's, and Dates and byte arrays cannot be frozen.
    const token = toView(record, now);
    return new Verified(token, principalOf(record, token.permissions));
  }

  // Every earlier pepper is tried even without a record, keeping one path for known and unknown ids.
  function matchEarlierPepper(
    text: string,
    start: number,
    end: number,
    found: TokenRecord | null,
  ): TokenRecord | null {
    let match: TokenRecord | null = null;
    for (const earlier of hasher.previous) {
      if (constantTimeEqual(earlier(text, start, end), found?.secretHash ?? ABSENT_HASH))
        match = found;
    }
    return match;
  }

  function rehash(record: TokenRecord, secretHash: Uint8Array): void {
    callStore("updateIfVersion", () =>
      store.updateIfVersion(record.id, record.version, { secretHash }),
    )
      // Like any change through this instance: a cached record with the old hash must go, also
      // when the answer was lost (the write may have committed).
      .then(
        () => context.lookup.changed(record.id),
        (error) => {
          context.lookup.changed(record.id);
          context.report(error);
        },
      );
  }

  // Answers synchronously unless the host does: awaiting a plain boolean would cost a tick.
  function meets(record: TokenRecord, requirement: Requirement): Awaitable<boolean> {
    const owner = record.owner;
    if (!ownerReaches(owner, requirement)) return false;
    if (!levelsSatisfy(levelsOf(record.permissions), requirement.permission)) return false;
    // A repository token reaches exactly its own pair: nothing more to ask.
    if (owner.kind === "repository") return true;
    if (requirement.repositoryId !== undefined && access.projectOfRepository !== undefined) {
      // The requirement's project is the caller's claim; the repository's project is the host's.
      const project = access.projectOfRepository(requirement.repositoryId);
      if (isThenable(project)) {
        return Promise.resolve(project).then((found) =>
          found === requirement.projectId ? userMayAlso(record, requirement) : false,
        );
      }
      if (project !== requirement.projectId) return false;
    }
    return userMayAlso(record, requirement);
  }

  // A personal token never exceeds what its user may do right now.
  function userMayAlso(record: TokenRecord, requirement: Requirement): Awaitable<boolean> {
    if (record.owner.kind !== "user") return true;
    return access.hasPermission(
      record.owner.userId,
      requirement.permission,
      resourceOf(requirement),
    );
  }

  return { verifyToken, authenticate };
}

/**
 * A successful result. `actor` is a getter on the prototype: built only when read, so the hot
 * path allocates nothing for it, and the result's own keys stay `ok`, `token` and `principal`.
 */
class Verified implements VerifySuccess {
  readonly ok = true as const;
  constructor(
    readonly token: TokenView,
    readonly principal: Principal,
  ) {}

  get actor(): TokenActor | null {
    const principal = this.principal;
    return principal.kind === "user" ? { userId: principal.userId, via: "token" } : null;
  }
}

// Built as a literal per owner kind: an object spread plus added keys costs microseconds here.
// `permissions` is the view's copy: the record may be the cache's own, which no caller may touch.
function principalOf(record: TokenRecord, permissions: readonly Permission[]): Principal {
  const owner = record.owner;
  const tokenId = record.id;
  switch (owner.kind) {
    case "user":
      return { kind: "user", userId: owner.userId, tokenId, permissions, via: "token" };
    case "project":
      return { kind: "project", projectId: owner.projectId, tokenId, permissions, via: "token" };
    case "repository":
      return {
        kind: "repository",
        projectId: owner.projectId,
        repositoryId: owner.repositoryId,
        tokenId,
        permissions,
        via: "token",
      };
  }
}

function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as PromiseLike<T> | null)?.then === "function";
}

function failure(reason: VerifyFailureReason, record: TokenRecord): VerifyResult {
  return { ok: false, reason, tokenId: record.id };
}

function resourceOf(requirement: Requirement): Resource {
  return requirement.repositoryId === undefined
    ? { projectId: requirement.projectId }
    : { projectId: requirement.projectId, repositoryId: requirement.repositoryId };
}

/** A cheap hand check of a requirement: it is the caller's input, not the token's. */
function checkRequirement(requirement: Requirement): void {
  const issues: { path: string[]; message: string }[] = [];
  if (typeof requirement !== "object" || requirement === null) {
    throw new ValidationError([{ path: ["requirement"], message: "Expected an object" }]);
  }
  if (!isPermission(requirement.permission)) {
    issues.push({
      path: ["requirement", "permission"],
      message: "Expected a permission such as REPO_READ",
    });
  }
  if (!isHostId(requirement.projectId)) {
    issues.push({ path: ["requirement", "projectId"], message: "Expected a non-empty string" });
  }
  if (requirement.repositoryId !== undefined && !isHostId(requirement.repositoryId)) {
    issues.push({ path: ["requirement", "repositoryId"], message: "Expected a non-empty string" });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

function isHostId(value: unknown): boolean {
  return typeof value === "string" && value.length > 0 && value.length <= 255;
}
