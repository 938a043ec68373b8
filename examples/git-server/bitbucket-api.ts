import type { AccessTokens, Actor } from "patkit";
import { parseAuthorization } from "patkit";
import { type BitbucketApiHandler, createBitbucketApi, DEFAULT_BASE_PATH } from "patkit/bitbucket";
import type { DemoHost } from "./demo-host.js";
import { isDemoPassword } from "./sessions.js";

/** Where the demo mounts Bitbucket's access-token API, as Bitbucket does. */
export const BITBUCKET_API_BASE = DEFAULT_BASE_PATH;

/** Bitbucket's own paths, with the `latest` version (`1.0` answers the same). */
export const MANAGEMENT_PREFIX = `${BITBUCKET_API_BASE}/latest`;

/** patkit's extension: the global policy (GET for signed-in users, PUT for system admins). */
export const POLICY_PATH = `${BITBUCKET_API_BASE}/patkit/policy`;

/**
 * patkit's extension: rotation. `POST ${ROTATE_PREFIX}/users/alice/{tokenId}/rotate` (or the
 * project and repository forms) with `{ expiryDays?, graceSeconds? }`.
 */
export const ROTATE_PREFIX = `${BITBUCKET_API_BASE}/patkit`;

/**
 * The demo's token management: `patkit/bitbucket`, with the demo host's users, projects and
 * repositories behind its resolvers. A user signs in with the demo password over Basic
 * (`curl -u alice:demo`), standing in for a real host's session; an access token signs in
 * `via: "token"`, which the handler refuses (401) for every call, as Bitbucket does.
 */
export function createDemoBitbucketApi(context: {
  readonly tokens: AccessTokens;
  readonly host: DemoHost;
  readonly log: (line: string) => void;
}): BitbucketApiHandler {
  const { tokens, host } = context;
  const authenticate = async (request: Request): Promise<Actor | null> => {
    const header = request.headers.get("authorization");
    const parsed = parseAuthorization(header);
    if (parsed.ok && parsed.scheme === "basic" && isDemoPassword(parsed.password)) {
      const user = host.userByName(parsed.username);
      return user?.active ? { userId: user.id, via: "session" } : null;
    }
    const result = await tokens.authenticate(header);
    if (!result.ok) return null;
    const { principal } = result;
    return {
      userId: principal.kind === "user" ? principal.userId : principal.tokenId,
      via: "token",
    };
  };
  return createBitbucketApi({
    tokens,
    authenticate,
    resolveUser: (slug) => host.userByName(slug)?.id ?? null,
    resolveProject: (key) => host.projectByKey(key)?.id ?? null,
    resolveRepository: (key, slug) => {
      const project = host.projectByKey(key);
      const repository = project && host.repositoryBySlug(project.id, slug);
      return repository ? { projectId: repository.projectId, repositoryId: repository.id } : null;
    },
    describeUser: (userId) => {
      const user = host.users.get(userId);
      return user
        ? {
            name: user.username,
            id: user.id,
            displayName: user.displayName,
            active: user.active,
            slug: user.username,
            type: "NORMAL",
          }
        : null;
    },
    onError: (error) =>
      context.log(`token API error: ${error instanceof Error ? error.message : String(error)}`),
  });
}
