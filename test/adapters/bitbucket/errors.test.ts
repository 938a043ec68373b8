import { describe, expect, it } from "vitest";
import { useStoreTargets } from "../../support/stores.js";
import { basic, everyPersonalCall, onlyError, useBitbucketServer } from "./server.js";

const targets = useStoreTargets("bitbucket_errors");

const AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException";
const VALIDATION = "com.atlassian.bitbucket.validation.ArgumentValidationException";

for (const target of targets) {
  describe(`patkit/bitbucket error answers (${target.name})`, () => {
    const server = useBitbucketServer(target);

    async function createAliceToken(): Promise<string> {
      const created = await server
        .current()
        .client(basic("alice"))
        .PUT("/access-tokens/latest/users/{userSlug}", {
          params: { path: { userSlug: "alice" } },
          body: { name: "t", permissions: ["REPO_READ"] },
        });
      return created.data?.id as string;
    }

    it("400: missing name, missing, empty or unknown permissions, with the field as context", async () => {
      const api = server.current();
      const alice = api.client(basic("alice"));
      const params = { path: { userSlug: "alice" } };
      const cases = [
        [{ permissions: ["REPO_READ"] }, "name"],
        [{ name: "x" }, "permissions"],
        [{ name: "x", permissions: [] }, "permissions"],
        [{ name: "x", permissions: ["REPO_SUPERUSER"] }, "permissions.0"],
        [{ name: "x", permissions: ["REPO_READ"], expiryDays: 0 }, "expiryDays"],
        [{ name: "", permissions: ["REPO_READ"] }, "name"],
      ] as const;
      for (const [body, context] of cases) {
        const answer = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
          params,
          body: body as never,
        });
        expect(answer.response.status, JSON.stringify(body)).toBe(400);
        const error = onlyError(answer.error);
        expect(error.exceptionName).toBe(VALIDATION);
        expect(error.context, JSON.stringify(body)).toBe(context);
      }
      const list = await alice.GET("/access-tokens/latest/users/{userSlug}", { params });
      expect(list.data?.size).toBe(0);
    });

    it("400: the policy refuses the expiry, the per-owner maximum is reached, a set expiry changes", async () => {
      const api = server.current();
      const root = api.client(basic("root"));
      const policy = await root.PUT(
        "/access-tokens/patkit/policy" as never,
        {
          body: { expiryRequired: true, maxExpiryDays: 90, maxTokensPerOwner: 2 },
        } as never,
      );
      expect((policy as { response: Response }).response.status).toBe(200);

      const alice = api.client(basic("alice"));
      const params = { path: { userSlug: "alice" } };
      for (const body of [
        { name: "forever", permissions: ["REPO_READ"] },
        { name: "long", permissions: ["REPO_READ"], expiryDays: 91 },
      ]) {
        const refused = await alice.PUT("/access-tokens/latest/users/{userSlug}", { params, body });
        expect(refused.response.status).toBe(400);
        expect(onlyError(refused.error).exceptionName).toMatch(/Policy/);
      }
      const first = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
        params,
        body: { name: "a", permissions: ["REPO_READ"], expiryDays: 10 },
      });
      await alice.PUT("/access-tokens/latest/users/{userSlug}", {
        params,
        body: { name: "b", permissions: ["REPO_READ"], expiryDays: 10 },
      });
      const third = await alice.PUT("/access-tokens/latest/users/{userSlug}", {
        params,
        body: { name: "c", permissions: ["REPO_READ"], expiryDays: 10 },
      });
      expect(third.response.status).toBe(400);
      expect(onlyError(third.error).exceptionName).toMatch(/Limit/);

      const expiry = await alice.POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
        params: { path: { userSlug: "alice", tokenId: first.data?.id as string } },
        body: { expiryDays: 5 },
      });
      expect(expiry.response.status).toBe(400);
      expect(onlyError(expiry.error).exceptionName).toMatch(/Expiry/);
    });

    it("401: not signed in, wrong password, and not permitted (never 403)", async () => {
      const api = server.current();
      const tokenId = await createAliceToken();
      const anonymous = api.client();
      const wrong = api.client(basic("alice", "nope"));
      const carol = api.client(basic("carol"));
      const bob = api.client(basic("bob"));
      const answers = [
        await anonymous.GET("/access-tokens/latest/users/{userSlug}", {
          params: { path: { userSlug: "alice" } },
        }),
        // Not signed in: 401 even for users that do not exist.
        await anonymous.GET("/access-tokens/latest/users/{userSlug}", {
          params: { path: { userSlug: "nobody" } },
        }),
        await wrong.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
          params: { path: { userSlug: "alice", tokenId } },
        }),
        // Nobody lists, creates (for someone else), reads, edits or deletes another's tokens.
        ...(await everyPersonalCall(carol, "alice", tokenId)),
        // A token id that does not exist answers the same to who may not look.
        await carol.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
          params: { path: { userSlug: "alice", tokenId: "doesnotexist0000" } },
        }),
        await bob.PUT("/access-tokens/latest/projects/{projectKey}", {
          params: { path: { projectKey: "PRJ" } },
          body: { name: "x", permissions: ["REPO_READ"] },
        }),
        await bob.GET("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}", {
          params: { path: { projectKey: "PRJ", repositorySlug: "alpha" } },
        }),
      ];
      for (const [index, answer] of answers.entries()) {
        expect(answer.response.status, `answer ${index}`).toBe(401);
        expect(onlyError(answer.error).exceptionName).toBe(AUTHORISATION);
      }
      const root = await api.client(basic("root")).GET("/access-tokens/latest/users/{userSlug}", {
        params: { path: { userSlug: "alice" } },
      });
      expect(root.data?.size).toBe(1);
    });

    it("404: unknown user, project, repository or token, and a token of another owner", async () => {
      const api = server.current();
      const aliceToken = await createAliceToken();
      const alice = api.client(basic("alice"));
      const root = api.client(basic("root"));
      const project = await alice.PUT("/access-tokens/latest/projects/{projectKey}", {
        params: { path: { projectKey: "PRJ" } },
        body: { name: "p", permissions: ["REPO_READ"] },
      });
      const projectToken = project.data?.id as string;
      const cases: [Promise<{ response: Response; error?: unknown }>, RegExp][] = [
        [
          alice.GET("/access-tokens/latest/users/{userSlug}", {
            params: { path: { userSlug: "nobody" } },
          }),
          /NoSuchUser/,
        ],
        [
          alice.PUT("/access-tokens/latest/projects/{projectKey}", {
            params: { path: { projectKey: "NOPE" } },
            body: { name: "x", permissions: ["REPO_READ"] },
          }),
          /NoSuchProject/,
        ],
        [
          alice.GET("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}", {
            params: { path: { projectKey: "PRJ", repositorySlug: "nope" } },
          }),
          /NoSuchRepository/,
        ],
        [
          alice.GET("/access-tokens/latest/users/{userSlug}/{tokenId}", {
            params: { path: { userSlug: "alice", tokenId: "doesnotexist0000" } },
          }),
          /NoSuch/,
        ],
        // Alice's own token, asked for under the project's path, and the project's under hers.
        [
          alice.GET("/access-tokens/latest/projects/{projectKey}/{tokenId}", {
            params: { path: { projectKey: "PRJ", tokenId: aliceToken } },
          }),
          /NoSuch/,
        ],
        [
          alice.DELETE("/access-tokens/latest/users/{userSlug}/{tokenId}", {
            params: { path: { userSlug: "alice", tokenId: projectToken } },
          }),
          /NoSuch/,
        ],
        // A system admin may see every token, but still only under its owner's path.
        [
          root.POST("/access-tokens/latest/users/{userSlug}/{tokenId}", {
            params: { path: { userSlug: "root", tokenId: aliceToken } },
            body: { name: "stolen" },
          }),
          /NoSuch/,
        ],
      ];
      for (const [index, [call, name]] of cases.entries()) {
        const answer = await call;
        expect(answer.response.status, `case ${index}`).toBe(404);
        expect(onlyError(answer.error).exceptionName).toMatch(name);
      }
      const unchanged = await api.harness.tokens.get(aliceToken, { userId: "alice" });
      expect([unchanged.name, unchanged.status]).toEqual(["t", "active"]);
    });

    it("answers malformed requests in Bitbucket's shape: 400, 404, 405, 413, 415", async () => {
      const api = server.current();
      const tokenId = await createAliceToken();
      const auth = { authorization: basic("alice") };
      const json = { ...auth, "content-type": "application/json" };
      const base = "/rest/access-tokens/latest/users/alice";
      const cases: [string, RequestInit, number][] = [
        [base, { method: "PUT", headers: json, body: "{not json" }, 400],
        [base, { method: "PUT", headers: json, body: "[1,2]" }, 400],
        [base, { method: "PUT", headers: json, body: "" }, 400],
        [
          base,
          {
            method: "PUT",
            headers: json,
            body: '{"name":"x","permissions":["REPO_READ"],"owner":{}}',
          },
          400,
        ],
        [
          base,
          { method: "PUT", headers: { ...auth, "content-type": "text/plain" }, body: "{}" },
          415,
        ],
        [
          base,
          { method: "PUT", headers: json, body: JSON.stringify({ name: "x".repeat(20_000) }) },
          413,
        ],
        [`${base}?start=-1`, { headers: auth }, 400],
        [`${base}?start=1.5`, { headers: auth }, 400],
        [`${base}?limit=0`, { headers: auth }, 400],
        [`${base}?limit=abc`, { headers: auth }, 400],
        [`${base}?start=99999999999999999999`, { headers: auth }, 400],
        [`${base}?start=0x10`, { headers: auth }, 400],
        [base, { method: "DELETE", headers: auth }, 405],
        [`${base}/${tokenId}`, { method: "PUT", headers: json, body: "{}" }, 405],
        [`${base}/${tokenId}`, { method: "POST", headers: json, body: '{"expiryDate":1}' }, 400],
        [`${base}/${tokenId}/extra`, { headers: auth }, 404],
        ["/rest/access-tokens/latest/users/%2e%2e%2fprojects/PRJ", { headers: auth }, 404],
        ["/rest/access-tokens/latest/users/al%2Fice", { headers: auth }, 404],
        ["/rest/access-tokens/latest/users/al%00ice", { headers: auth }, 404],
        ["/rest/access-tokens/latest/users/a..b", { headers: auth }, 404],
        ["/rest/access-tokens/latest/users/%E0%A4%A", { headers: auth }, 404],
        [`/rest/access-tokens/latest/users/${"a".repeat(10_000)}`, { headers: auth }, 404],
        [`${base}/${"t".repeat(10_000)}`, { headers: auth }, 404],
        [`${base}/${"t".repeat(200)}`, { headers: auth }, 404],
        ["/rest/access-tokens/latest/groups/x", { headers: auth }, 404],
        ["/rest/access-tokens/1.0", { headers: auth }, 404],
      ];
      for (const [path, init, status] of cases) {
        const answer = await api.fetch(path, init);
        const label = `${init.method ?? "GET"} ${path.slice(0, 80)}`;
        expect(answer.status, label).toBe(status);
        const text = await answer.text();
        expect(text, label).not.toMatch(/ at |node:|\.ts:/);
        onlyError(JSON.parse(text));
      }
      const unchanged = await api.harness.tokens.get(tokenId, { userId: "alice" });
      expect(unchanged.name).toBe("t");
    });

    it("extension: any signed-in user reads the policy, system admins change it, tokens may not", async () => {
      const api = server.current();
      const policyPath = "/rest/access-tokens/patkit/policy";
      const json = (user: string) => ({
        authorization: basic(user),
        "content-type": "application/json",
      });
      const read = await api.fetch(policyPath, { headers: { authorization: basic("carol") } });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ expiryRequired: false, maxExpiryDays: null });
      const body = JSON.stringify({ expiryRequired: true, maxExpiryDays: 30 });
      const refused = await api.fetch(policyPath, { method: "PUT", headers: json("alice"), body });
      expect(refused.status).toBe(401);
      onlyError(await refused.json());
      const unknownField = await api.fetch(policyPath, {
        method: "PUT",
        headers: json("root"),
        body: JSON.stringify({ expiryRequired: true, surprise: 1 }),
      });
      expect(unknownField.status).toBe(400);
      const changed = await api.fetch(policyPath, { method: "PUT", headers: json("root"), body });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ expiryRequired: true, maxExpiryDays: 30 });
      expect((await api.harness.tokens.getPolicy()).maxExpiryDays).toBe(30);
      const anonymous = await api.fetch(policyPath);
      expect(anonymous.status).toBe(401);
      const elsewhere = await api.fetch("/rest/access-tokens/patkit/other", {
        headers: { authorization: basic("root") },
      });
      expect(elsewhere.status).toBe(404);
    });

    it("leaves paths it does not own to the host (null)", async () => {
      const api = server.current();
      const request = (path: string) => new Request(`http://host${path}`);
      expect(await api.handle(request("/rest/api/latest/projects"))).toBeNull();
      expect(await api.handle(request("/rest/access-tokens"))).toBeNull();
      expect(await api.handle(request("/rest/access-tokens/2.0/users/alice"))).toBeNull();
      expect(await api.handle(request("/rest/access-tokensx/latest/users/alice"))).toBeNull();
      expect((await api.fetch("/elsewhere")).status).toBe(404);
    });
  });
}
