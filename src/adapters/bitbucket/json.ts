import type { TokenView } from "../../index.js";

/**
 * A token as Bitbucket Data Center answers it (observed, not as its OpenAPI document says:
 * that schema leaves out `permissions`, `expiryDate`, `lastAuthenticated` and `user`, and
 * types `createdDate` as a date-time string where the server sends epoch milliseconds).
 */
export interface BitbucketAccessToken {
  readonly id: string;
  readonly name: string;
  /** Epoch milliseconds. */
  readonly createdDate: number;
  /** Epoch milliseconds; left out when the token never expires. */
  readonly expiryDate?: number;
  /** Epoch milliseconds; left out when the token was never used. */
  readonly lastAuthenticated?: number;
  readonly permissions: readonly string[];
  /** The owner of a personal token, as the host's `describeUser` describes them. */
  readonly user?: object;
}

/** The create answer: the token with its secret, shown this once. */
export interface BitbucketRawAccessToken extends BitbucketAccessToken {
  readonly token: string;
}

/**
 * The answer of patkit's rotate extension (Bitbucket has no rotation): the new token with its
 * secret, shown this once, as Bitbucket's create answer, and the old token as it now stands.
 */
export interface BitbucketRotatedAccessToken extends BitbucketRawAccessToken {
  readonly previous: BitbucketAccessToken & {
    /** Epoch milliseconds: the old secret fails from this instant (the end of the grace period). */
    readonly revokedDate: number;
  };
}

/** One page of a listing, Bitbucket's paged shape. */
export interface BitbucketPage<T> {
  readonly size: number;
  readonly limit: number;
  readonly isLastPage: boolean;
  readonly start: number;
  /** Where the next page starts; only when this is not the last page. */
  readonly nextPageStart?: number;
  readonly values: readonly T[];
}

/** The Bitbucket JSON of a token view (no secret). */
export function tokenJson(view: TokenView, user: object | null): BitbucketAccessToken {
  return {
    id: view.id,
    name: view.name,
    createdDate: view.createdAt.getTime(),
    ...(view.expiresAt !== null && { expiryDate: view.expiresAt.getTime() }),
    ...(view.lastAuthenticatedAt !== null && {
      lastAuthenticated: view.lastAuthenticatedAt.getTime(),
    }),
    permissions: [...view.permissions],
    ...(user !== null && { user }),
  };
}

/** A JSON `Response` (200 unless told). */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json;charset=UTF-8" },
  });
}
