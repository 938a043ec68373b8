import { describe, expect, it } from "vitest";
import { useStoreTargets } from "../../support/stores.js";
import { basic, everyPersonalCall, onlyError, useBitbucketServer } from "./server.js";

const targets = useStoreTargets("bitbucket_api");

const DAY = 24 * 60 * 60 * 1000;

for (const target of targets) {
  describe(`patkit/bitbucket through @coderabbitai/bitbucket (${target.name})`, () => {
    const server = useBitbucketServer(target);

    it("personal tokens: create (200, secret once), get, update, delete (204), then 404", async () => {
      const api = server.current();
      const alice = api.client(basic("alice"));
      const params = { path: { userSlug: "alice" } };
      const created = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
        params,
        body: { name: "laptop", permissions: ["REPO_READ", "PROJECT_READ"], expiryDays: 30 },
      });
      expect(created.response.status).toBe(200);
      const now = api.harness.clock.now().getTime();
      const token = created.data as Record<string, unknown>;
      expect(token).toEqual({
        id: expect.any(String),
        name: "laptop",
        createdDate: now,
        expiryDate: now + 30 * DAY,
        permissions: ["PROJECT_READ", "REPO_READ"],
        user: { name: "alice", slug: "alice", displayName: "alice", type: "NORMAL" },
        token: expect.stringMatching(/^pat_/),
      });
      expect(token).not.toHaveProperty("expiryDays");
      expect(token).not.toHaveProperty("lastAuthenticated");
      const tokenId = created.data?.id as string;
      const secret = created.data?.token as string;
      expect((await api.harness.tokens.verifyToken(secret)).ok).toBe(true);

      // The secret authenticates; lastAuthenticated appears once written.
      await api.harness.tokens.flush();
      const read = await alice.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId } },
      });
      expect(read.response.status).toBe(200);
      expect(read.data).toEqual({ ...token, token: undefined, lastAuthenticated: now });
      expect(read.data).not.toHaveProperty("token");

      const renamed = await alice.POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId } },
        body: { name: "desktop" },
      });
      expect(renamed.response.status).toBe(200);
      expect(renamed.data).toMatchObject({ id: tokenId, name: "desktop" });
      expect((renamed.data as { permissions: string[] }).permissions).toEqual([
        "PROJECT_READ",
        "REPO_READ",
      ]);
      const widened = await alice.POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId } },
        body: { permissions: ["REPO_WRITE"] },
      });
      expect(widened.data).toMatchObject({ name: "desktop", permissions: ["REPO_WRITE"] });

      const deleted = await alice.DELETE("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId } },
      });
      expect(deleted.response.status).toBe(204);
      expect(await deleted.response.text()).toBe("");
      expect((await api.harness.tokens.verifyToken(secret)).ok).toBe(false);

      const gone = await alice.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId } },
      });
      expect(gone.response.status).toBe(404);
      expect(onlyError(gone.error).exceptionName).toMatch(/NoSuch/);
      const again = await alice.DELETE("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId } },
      });
      expect(again.response.status).toBe(404);
      const list = await alice.GET("/access-tokens/latest/users/{userSlug}", { params });
      expect(list.data).toEqual({ size: 0, limit: 25, isLastPage: true, start: 0, values: [] });
    });

    it("project and repository tokens: the full cycle on /latest/ and /1.0/, no user object", async () => {
      const api = server.current();
      const alice = api.client(basic("alice"));
      const project = await alice.PUT("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" } },
        body: { name: "ci", permissions: ["PROJECT_WRITE", "REPO_WRITE"] },
      });
      expect(project.response.status).toBe(200);
      expect(project.data).not.toHaveProperty("user");
      expect(project.data).not.toHaveProperty("expiryDate");
      const projectTokenId = project.data?.id as string;
      const repository = await alice.PUT(
        "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}",
        {
          params: { path: { projectKey: "PRJ", repositorySlug: "alpha" } },
          body: { name: "deploy", permissions: ["REPO_READ"], expiryDays: 1 },
        },
      );
      expect(repository.response.status).toBe(200);
      const repositoryTokenId = repository.data?.id as string;
      expect((await api.harness.tokens.get(repositoryTokenId, { userId: "alice" })).owner).toEqual({
        kind: "repository",
        projectId: "P",
        repositoryId: "R1",
      });

      const projectList = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" } },
      });
      expect(projectList.data?.values?.map((t) => t.id)).toEqual([projectTokenId]);
      const repositoryGet = await alice.GET(
        "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        {
          params: {
            path: { projectKey: "PRJ", repositorySlug: "alpha", tokenId: repositoryTokenId },
          },
        },
      );
      expect(repositoryGet.data).toMatchObject({ name: "deploy", permissions: ["REPO_READ"] });
      const updated = await alice.POST(
        "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        {
          params: {
            path: { projectKey: "PRJ", repositorySlug: "alpha", tokenId: repositoryTokenId },
          },
          body: { permissions: ["REPO_ADMIN"] },
        },
      );
      expect(updated.data).toMatchObject({ name: "deploy", permissions: ["REPO_ADMIN"] });

      // The project token is not a token of the repository path, nor the other way round.
      const crossed = await alice.GET(
        "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        {
          params: {
            path: { projectKey: "PRJ", repositorySlug: "alpha", tokenId: projectTokenId },
          },
        },
      );
      expect(crossed.response.status).toBe(404);

      // The 1.0 prefix answers the same.
      const legacy = await api.fetch(`/rest/access-tokens/1.0/projects/PRJ/${projectTokenId}`, {
        method: "DELETE",
        headers: { authorization: basic("alice") },
      });
      expect(legacy.status).toBe(204);
      const projectGone = await alice.GET("/access-tokens/latest/projects/{projectKey}/{tokenId}", {
        params: { path: { projectKey: "PRJ", tokenId: projectTokenId } },
      });
      expect(projectGone.response.status).toBe(404);
      const repositoryDeleted = await alice.DELETE(
        "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        {
          params: {
            path: { projectKey: "PRJ", repositorySlug: "alpha", tokenId: repositoryTokenId },
          },
        },
      );
      expect(repositoryDeleted.response.status).toBe(204);
    });

    it("pages through 60 tokens, oldest first, with start and limit (default 25)", async () => {
      const api = server.current();
      const alice = api.client(basic("alice"));
      const created: string[] = [];
      for (let i = 0; i < 60; i++) {
        api.harness.clock.advance(1000);
        const response = await alice.PUT("/access-tokens/latest/projects/{projectKey}", {
          params: { path: { projectKey: "PRJ" } },
          body: { name: `t${i}`, permissions: ["PROJECT_READ", "REPO_READ"] },
        });
        expect(response.response.status).toBe(200);
        created.push(response.data?.id as string);
      }
      const first = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" } },
      });
      expect(first.data).toMatchObject({
        size: 25,
        limit: 25,
        isLastPage: false,
        start: 0,
        nextPageStart: 25,
      });
      const seen: string[] = [];
      let start: number | undefined = 0;
      const pages: unknown[] = [];
      while (start !== undefined) {
        const from: number = start;
        const page = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
          params: { path: { projectKey: "PRJ" }, query: { start: from, limit: 25 } },
        });
        expect(page.response.status).toBe(200);
        pages.push({ ...page.data, values: undefined });
        seen.push(...(page.data?.values ?? []).map((t) => t.id as string));
        start = page.data?.isLastPage ? undefined : page.data?.nextPageStart;
      }
      expect(seen).toEqual(created);
      expect(pages).toEqual([
        { size: 25, limit: 25, isLastPage: false, start: 0, nextPageStart: 25 },
        { size: 25, limit: 25, isLastPage: false, start: 25, nextPageStart: 50 },
        { size: 10, limit: 25, isLastPage: true, start: 50 },
      ]);

      // Deleted tokens are gone from the pages: offsets count live tokens only.
      const deleteId = created[1] as string;
      await alice.DELETE("/access-tokens/latest/projects/{projectKey}/{tokenId}", {
        params: { path: { projectKey: "PRJ", tokenId: deleteId } },
      });
      const afterDelete = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" }, query: { start: 1, limit: 2 } },
      });
      expect(afterDelete.data?.values?.map((t) => t.id)).toEqual([created[2], created[3]]);
      const exact = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" }, query: { start: 50, limit: 9 } },
      });
      expect(exact.data).toMatchObject({ size: 9, isLastPage: true, start: 50 });
      expect(exact.data).not.toHaveProperty("nextPageStart");
      const past = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" }, query: { start: 1000 } },
      });
      expect(past.data).toEqual({ size: 0, limit: 25, isLastPage: true, start: 1000, values: [] });
      const capped = await alice.GET("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" }, query: { limit: 5000 } },
      });
      expect(capped.data).toMatchObject({ size: 59, limit: 1000, isLastPage: true });
    });

    it("refuses a token as credentials (401) for every operation, Bearer or Basic", async () => {
      const api = server.current();
      const alice = api.client(basic("alice"));
      const created = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
        params: { path: { userSlug: "alice" } },
        body: { name: "admin-ish", permissions: ["PROJECT_ADMIN", "REPO_ADMIN"] },
      });
      const secret = created.data?.token as string;
      const tokenId = created.data?.id as string;
      for (const authorization of [`Bearer ${secret}`, basic("alice", secret)]) {
        const answers = await everyPersonalCall(api.client(authorization), "alice", tokenId);
        for (const answer of answers) {
          expect(answer.response.status).toBe(401);
          expect(onlyError(answer.error).exceptionName).toBe(
            "com.atlassian.bitbucket.AuthorisationException",
          );
        }
      }
      const page = await api.harness.tokens.list(
        { owner: { kind: "user", userId: "alice" } },
        { userId: "alice" },
      );
      expect(page.items.map((t) => [t.name, t.status])).toEqual([["admin-ish", "active"]]);
    });
  });
}
