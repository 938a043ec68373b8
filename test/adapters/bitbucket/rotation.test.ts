import { describe, expect, it } from "vitest";
import { useStoreTargets } from "../../support/stores.js";
import { basic, onlyError, useBitbucketServer } from "./server.js";

const targets = useStoreTargets("bitbucket_rotation");

const DAY = 24 * 60 * 60 * 1000;
const AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException";

/** The rotate extension's path for a token of alice (or of another path given). */
function rotatePath(tokenId: string, owner = "users/alice"): string {
  return `/rest/access-tokens/patkit/${owner}/${encodeURIComponent(tokenId)}/rotate`;
}

/** A JSON POST with Basic credentials of `user` (none when `null`). */
function post(user: string | null, body: unknown): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(user === null ? {} : { authorization: basic(user) }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

for (const target of targets) {
  describe(`patkit/bitbucket rotation (${target.name})`, () => {
    const server = useBitbucketServer(target);

    async function createToken(
      user: string,
      path: "users" | "projects" | "repos",
      expiryDays?: number,
    ): Promise<{ id: string; secret: string }> {
      const client = server.current().client(basic(user));
      const body = { name: `${path} token`, permissions: ["REPO_READ"], expiryDays };
      const created =
        path === "users"
          ? await client.PUT("/access-tokens/latest/users/{userSlug}", {
              params: { path: { userSlug: user } },
              body,
            })
          : path === "projects"
            ? await client.PUT("/access-tokens/latest/projects/{projectKey}", {
                params: { path: { projectKey: "PRJ" } },
                body: { ...body, permissions: ["PROJECT_READ", "REPO_READ"] },
              })
            : await client.PUT(
                "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}",
                {
                  params: { path: { projectKey: "PRJ", repositorySlug: "alpha" } },
                  body,
                },
              );
      expect(created.response.status).toBe(200);
      return { id: created.data?.id as string, secret: created.data?.token as string };
    }

    it("a token in its grace period is listed and readable until the grace ends, then 404 and gone", async () => {
      const api = server.current();
      const alice = api.client(basic("alice"));
      const old = await createToken("alice", "users", 30);
      api.harness.clock.advance(1000);
      const rotated = await api.fetch(rotatePath(old.id), post("alice", { graceSeconds: 3600 }));
      expect(rotated.status).toBe(200);
      const fresh = (await rotated.json()) as { id: string; token: string };

      const listIds = async (query: { start?: number; limit?: number } = {}) => {
        const page = await alice.GET("/access-tokens/latest/users/{userSlug}", {
          params: { path: { userSlug: "alice" }, query },
        });
        expect(page.response.status).toBe(200);
        return (page.data?.values ?? []).map((token) => (token as { id: string }).id);
      };
      const read = (tokenId: string) =>
        alice.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
          params: { path: { userSlug: "alice", tokenId } },
        });

      // During the grace, both work, so both are here; offset paging counts the old one.
      api.harness.clock.advance(3600 * 1000 - 1);
      expect((await api.harness.tokens.verifyToken(old.secret)).ok).toBe(true);
      await api.harness.tokens.flush();
      expect(await listIds()).toEqual([old.id, fresh.id]);
      expect(await listIds({ start: 1, limit: 1 })).toEqual([fresh.id]);
      const during = await read(old.id);
      expect(during.response.status).toBe(200);
      // Bitbucket's token JSON has no field for a scheduled end: the shape stays exact.
      expect(Object.keys(during.data as object).sort()).toEqual([
        "createdDate",
        "expiryDate",
        "id",
        "lastAuthenticated",
        "name",
        "permissions",
        "user",
      ]);
      expect((await read(fresh.id)).response.status).toBe(200);

      // From the end of the grace on, the old token is revoked: 404 here, and out of lists.
      api.harness.clock.advance(1);
      expect((await api.harness.tokens.verifyToken(old.secret)).ok).toBe(false);
      expect(await listIds()).toEqual([fresh.id]);
      expect(await listIds({ start: 1 })).toEqual([]);
      const after = await read(old.id);
      expect(after.response.status).toBe(404);
      expect(onlyError(after.error).exceptionName).toMatch(/NoSuchAccessToken/);
      expect((await read(fresh.id)).response.status).toBe(200);
    });

    it("POST .../patkit/users/{userSlug}/{tokenId}/rotate: 200, the new token with its secret and the old one's end", async () => {
      const api = server.current();
      const old = await createToken("alice", "users", 30);
      const start = api.harness.clock.now().getTime();
      api.harness.clock.advance(5 * DAY);
      const now = api.harness.clock.now().getTime();
      const answer = await api.fetch(rotatePath(old.id), post("alice", { graceSeconds: 60 }));
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await answer.json()) as Record<string, unknown> & { id: string; token: string };
      const user = { name: "alice", slug: "alice", displayName: "alice", type: "NORMAL" };
      expect(body).toEqual({
        id: expect.any(String),
        name: "users token",
        createdDate: now,
        // The old lifetime (30 days), counted from now.
        expiryDate: now + 30 * DAY,
        permissions: ["REPO_READ"],
        user,
        token: expect.stringMatching(/^pat_/),
        previous: {
          id: old.id,
          name: "users token",
          createdDate: start,
          expiryDate: start + 30 * DAY,
          permissions: ["REPO_READ"],
          user,
          revokedDate: now + 60_000,
        },
      });
      expect(body.id).not.toBe(old.id);
      const verified = await api.harness.tokens.verifyToken(body.token);
      expect(verified.ok && verified.token.id).toBe(body.id);
      expect((await api.harness.tokens.verifyToken(old.secret)).ok).toBe(true);
      api.harness.clock.advance(60_000);
      expect((await api.harness.tokens.verifyToken(old.secret)).ok).toBe(false);

      // An empty body: no grace, the old lifetime. expiryDays null: no expiry.
      const next = await api.fetch(rotatePath(body.id), {
        method: "POST",
        headers: { authorization: basic("alice") },
      });
      expect(next.status).toBe(200);
      const third = (await next.json()) as { id: string; expiryDate?: number; previous: object };
      expect(third.previous).toMatchObject({ revokedDate: api.harness.clock.now().getTime() });
      const last = await api.fetch(rotatePath(third.id), post("alice", { expiryDays: null }));
      expect(last.status).toBe(200);
      expect(await last.json()).not.toHaveProperty("expiryDate");
    });

    it("rotates project and repository tokens for the project's admins, without a user object", async () => {
      const api = server.current();
      const project = await createToken("alice", "projects");
      const repository = await createToken("alice", "repos", 7);
      const projectAnswer = await api.fetch(
        rotatePath(project.id, "projects/PRJ"),
        post("alice", { expiryDays: 10 }),
      );
      expect(projectAnswer.status).toBe(200);
      const rotatedProject = (await projectAnswer.json()) as Record<string, unknown>;
      expect(rotatedProject).not.toHaveProperty("user");
      expect(rotatedProject.expiryDate).toBe(api.harness.clock.now().getTime() + 10 * DAY);
      expect(rotatedProject.permissions).toEqual(["PROJECT_READ", "REPO_READ"]);
      const repositoryAnswer = await api.fetch(
        rotatePath(repository.id, "projects/PRJ/repos/alpha"),
        post("alice", {}),
      );
      expect(repositoryAnswer.status).toBe(200);
      const rotatedRepository = (await repositoryAnswer.json()) as { token: string };
      const verified = await api.harness.tokens.verifyToken(rotatedRepository.token);
      expect(verified.ok && verified.token.owner).toEqual({
        kind: "repository",
        projectId: "P",
        repositoryId: "R1",
      });
      // A reader of the project may not rotate its tokens.
      const bob = await api.fetch(
        rotatePath(repository.id, "projects/PRJ/repos/alpha"),
        post("bob", {}),
      );
      expect(bob.status).toBe(401);
    });

    it("401 for no sign-in, a token as credentials, and whoever may not create the token (an admin included)", async () => {
      const api = server.current();
      const old = await createToken("alice", "users");
      const answers = [
        await api.fetch(rotatePath(old.id), post(null, {})),
        await api.fetch(rotatePath(old.id), {
          ...post(null, {}),
          headers: { "content-type": "application/json", authorization: `Bearer ${old.secret}` },
        }),
        await api.fetch(rotatePath(old.id), {
          ...post(null, {}),
          headers: {
            "content-type": "application/json",
            authorization: basic("alice", old.secret),
          },
        }),
        // A system admin sees alice's tokens but must not obtain a secret of hers.
        await api.fetch(rotatePath(old.id), post("root", {})),
        await api.fetch(rotatePath(old.id), post("carol", {})),
        // Not permitted on the path: 401 whether the token exists or not.
        await api.fetch(rotatePath("doesnotexist0000"), post("carol", {})),
      ];
      for (const [index, answer] of answers.entries()) {
        expect(answer.status, `answer ${index}`).toBe(401);
        expect(onlyError(await answer.json()).exceptionName).toBe(AUTHORISATION);
      }
      const page = await api.harness.tokens.list(
        { owner: { kind: "user", userId: "alice" } },
        { userId: "alice" },
      );
      expect(page.items.map((token) => [token.id, token.replacedBy])).toEqual([[old.id, null]]);
    });

    it("404 for another owner's token, an unknown or deleted one; 409 once rotated; 400 for bad input or the policy", async () => {
      const api = server.current();
      const bobs = await createToken("bob", "users");
      const alices = await createToken("alice", "users", 30);
      const deleted = await createToken("alice", "users");
      await api.client(basic("alice")).DELETE("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId: deleted.id } },
      });
      for (const path of [
        rotatePath(bobs.id),
        rotatePath("doesnotexist0000"),
        rotatePath(deleted.id),
        rotatePath(alices.id, "projects/PRJ"),
        rotatePath(alices.id, "users/nobody"),
      ]) {
        const answer = await api.fetch(path, post("alice", {}));
        expect(answer.status, path).toBe(404);
        expect(onlyError(await answer.json()).exceptionName).toMatch(/NoSuch/);
      }

      const invalid: [unknown, string | null][] = [
        [{ graceSeconds: -1 }, "graceSeconds"],
        [{ graceSeconds: 1.5 }, "graceSeconds"],
        [{ graceSeconds: 604_801 }, "graceSeconds"],
        [{ graceSeconds: "60" }, "graceSeconds"],
        [{ expiryDays: 0 }, "expiryDays"],
        [{ expiryDays: "x" }, "expiryDays"],
        [{ name: "renamed" }, "request"],
        ["[1]", null],
        ["{", null],
      ];
      for (const [body, context] of invalid) {
        const answer = await api.fetch(rotatePath(alices.id), post("alice", body));
        expect(answer.status, JSON.stringify(body)).toBe(400);
        const error = onlyError(await answer.json());
        expect(error.context, JSON.stringify(body)).toBe(context);
      }

      // The policy in force applies to the new token: nothing changes when it refuses.
      await api.harness.tokens.setPolicy(
        { expiryRequired: true, maxExpiryDays: 10 },
        { userId: "root" },
      );
      const refused = await api.fetch(rotatePath(alices.id), post("alice", {}));
      expect(refused.status).toBe(400);
      expect(onlyError(await refused.json()).exceptionName).toBe(
        "com.atlassian.bitbucket.auth.AccessTokenPolicyException",
      );
      const ok = await api.fetch(
        rotatePath(alices.id),
        post("alice", { expiryDays: 10, graceSeconds: 600 }),
      );
      expect(ok.status).toBe(200);

      // Once rotated (in its grace period or after), never again.
      const again = await api.fetch(rotatePath(alices.id), post("alice", {}));
      expect(again.status).toBe(409);
      expect(onlyError(await again.json()).exceptionName).toBe(
        "com.atlassian.bitbucket.ConcurrentModificationException",
      );
      // Editing it during the grace is refused the same way.
      const edit = await api
        .client(basic("alice"))
        .POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
          params: { path: { userSlug: "alice", tokenId: alices.id } },
          body: { name: "x" },
        });
      expect(edit.response.status).toBe(409);
      api.harness.clock.advance(600_000);
      const late = await api.fetch(rotatePath(alices.id), post("alice", {}));
      expect(late.status).toBe(404);
    });

    it("answers only POST, and only under /patkit/ (Bitbucket's own paths have no rotate)", async () => {
      const api = server.current();
      const old = await createToken("alice", "users");
      const get = await api.fetch(rotatePath(old.id), {
        headers: { authorization: basic("alice") },
      });
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      for (const version of ["latest", "1.0"]) {
        const answer = await api.fetch(
          `/rest/access-tokens/${version}/users/alice/${old.id}/rotate`,
          post("alice", {}),
        );
        expect(answer.status).toBe(404);
        expect(onlyError(await answer.json()).exceptionName).toMatch(/NoSuchResource/);
      }
      for (const path of [
        "/rest/access-tokens/patkit/users/alice/rotate",
        `/rest/access-tokens/patkit/users/alice/${old.id}/rotate/more`,
        `/rest/access-tokens/patkit/rotate`,
      ]) {
        expect((await api.fetch(path, post("alice", {}))).status, path).toBe(404);
      }
      const page = await api.harness.tokens.list(
        { owner: { kind: "user", userId: "alice" } },
        { userId: "alice" },
      );
      expect(page.items).toHaveLength(1);
    });
  });
}
