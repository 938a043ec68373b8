import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Request as ExpressRequest } from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { Hono } from "hono";
import {
  type AccessTokens,
  createAccessTokens,
  type HostAccess,
  type Requirement,
  ValidationError,
} from "patkit";
import {
  authenticateNodeRequest,
  authenticateRequest,
  createExpressMiddleware,
  createFastifyHook,
  repositoryRequirement,
} from "patkit/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHost } from "../support/host.js";
import { type OpenedStore, useStoreTargets } from "../support/stores.js";

// Repository ids are unique across projects here (as in the demo), so a repository can be
// named under any project id. A project token of project A must not reach B's repository
// through a requirement that pairs A with it: not through verifyToken or authenticate, and
// not through any framework helper.
const targets = useStoreTargets("cross_project");
const PROJECT_OF: Readonly<Record<string, string>> = { "a-repo": "A", "b-repo": "B" };

const mismatched: Requirement = { permission: "REPO_READ", projectId: "A", repositoryId: "b-repo" };
const own: Requirement = { permission: "REPO_READ", projectId: "A", repositoryId: "a-repo" };
const refused = { ok: false, reason: "insufficient_permission" };

interface Services {
  /** The host tells patkit which project each repository is in. */
  readonly guarded: AccessTokens;
  /** The same host answering asynchronously. */
  readonly guardedAsync: AccessTokens;
  /** A host without `projectOfRepository` (v0.1): safe only through resolved requirements. */
  readonly plain: AccessTokens;
  readonly projectToken: string;
  readonly personalToken: string;
}

/** alice administers A and nothing in B; her host checks grants on the resource as given. */
async function services(opened: OpenedStore): Promise<Services> {
  const host = createHost();
  host.grantProject("alice", "A", "ADMIN");
  const projectOfRepository = (id: string) => PROJECT_OF[id] ?? null;
  const make = (access: HostAccess) => createAccessTokens({ store: opened.store, access });
  const guarded = make({ ...host.access, projectOfRepository });
  const created = (owner: Parameters<AccessTokens["create"]>[0]["owner"]) =>
    guarded.create({ owner, name: owner.kind, permissions: ["REPO_WRITE"] }, { userId: "alice" });
  return {
    guarded,
    guardedAsync: make({
      ...host.access,
      projectOfRepository: async (id) => PROJECT_OF[id] ?? null,
    }),
    plain: make(host.access),
    projectToken: (await created({ kind: "project", projectId: "A" })).secret,
    personalToken: (await created({ kind: "user", userId: "alice" })).secret,
  };
}

/** Resolves a repository from the URL's repository id alone, as `repositoryRequirement` wants. */
function resolveRepository(repositoryId: string | undefined) {
  const projectId = repositoryId === undefined ? undefined : PROJECT_OF[repositoryId];
  return projectId === undefined || repositoryId === undefined ? null : { projectId, repositoryId };
}

/** The naive requirement of v0.1's examples: the project and the repository from two parameters. */
function fromTwoParameters(params: Record<string, string | undefined>): Requirement {
  return {
    permission: "REPO_READ",
    projectId: params.projectId ?? "",
    repositoryId: params.repositoryId ?? "",
  };
}

/** Every framework helper, each on the naive route (guarded host) and the resolved route (plain host). */
interface Apps {
  /** GETs `path` with a Bearer token; answers the status. */
  readonly get: Record<string, (path: string, secret: string) => Promise<number>>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

async function startApps(s: Services): Promise<Apps> {
  const ok = { ok: true };
  // Express
  const app = express();
  app.get(
    "/naive/projects/:projectId/repos/:repositoryId",
    createExpressMiddleware<ExpressRequest>(s.guarded, {
      requirement: (req) =>
        fromTwoParameters({
          projectId: String(req.params.projectId),
          repositoryId: String(req.params.repositoryId),
        }),
    }),
    (_req, res) => res.json(ok),
  );
  app.get(
    "/resolved/repos/:repositoryId",
    createExpressMiddleware<ExpressRequest>(s.plain, {
      requirement: repositoryRequirement("REPO_READ", (req) =>
        resolveRepository(String(req.params.repositoryId)),
      ),
    }),
    (_req, res) => res.json(ok),
  );
  const expressServer = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => expressServer.once("listening", resolve));
  const expressBase = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`;

  // Fastify
  const fastify: FastifyInstance = Fastify();
  fastify.decorateRequest("patkit", undefined);
  type Params = { Params: Record<string, string> };
  fastify.get<Params>(
    "/naive/projects/:projectId/repos/:repositoryId",
    {
      onRequest: createFastifyHook(s.guarded, {
        requirement: (request) =>
          fromTwoParameters((request as unknown as { params: Record<string, string> }).params),
      }),
    },
    async () => ok,
  );
  fastify.get<Params>(
    "/resolved/repos/:repositoryId",
    {
      onRequest: createFastifyHook(s.plain, {
        requirement: repositoryRequirement("REPO_READ", (request) =>
          resolveRepository(
            (request as unknown as { params: Record<string, string> }).params.repositoryId,
          ),
        ),
      }),
    },
    async () => ok,
  );
  await fastify.ready();

  // Hono (the Fetch helper)
  const hono = new Hono();
  hono.get("/naive/projects/:projectId/repos/:repositoryId", async (c) => {
    const auth = await authenticateRequest(s.guarded, c.req.raw, fromTwoParameters(c.req.param()));
    return auth.ok ? c.json(ok) : auth.response;
  });
  hono.get("/resolved/repos/:repositoryId", async (c) => {
    const auth = await authenticateRequest(
      s.plain,
      c.req.raw,
      repositoryRequirement("REPO_READ", () => resolveRepository(c.req.param("repositoryId"))),
    );
    return auth.ok ? c.json(ok) : auth.response;
  });

  // node:http
  const nodeServer = createServer(async (req, res) => {
    const parts = (req.url ?? "").split("/");
    const naive = parts[1] === "naive";
    const auth = naive
      ? await authenticateNodeRequest(
          s.guarded,
          req,
          res,
          fromTwoParameters({ projectId: parts[3], repositoryId: parts[5] }),
        )
      : await authenticateNodeRequest(
          s.plain,
          req,
          res,
          repositoryRequirement("REPO_READ", () => resolveRepository(parts[3])),
        );
    if (auth.ok) res.end(JSON.stringify(ok));
  });
  const nodeBase = await listen(nodeServer);

  const over = (base: string) => async (path: string, secret: string) =>
    (await fetch(`${base}${path}`, { headers: bearer(secret) })).status;
  return {
    get: {
      express: over(expressBase),
      fastify: async (path, secret) =>
        (await fastify.inject({ url: path, headers: bearer(secret) })).statusCode,
      hono: async (path, secret) => (await hono.request(path, { headers: bearer(secret) })).status,
      node: over(nodeBase),
    },
    async close() {
      await new Promise((resolve) => expressServer.close(resolve));
      await new Promise((resolve) => nodeServer.close(resolve));
      await fastify.close();
    },
  };
}

for (const target of targets) {
  describe(`a project token asking for another project's repository, on the ${target.name}`, () => {
    let opened: OpenedStore;
    let s: Services;
    let apps: Apps;

    beforeAll(async () => {
      opened = await target.open();
      s = await services(opened);
      apps = await startApps(s);
    });
    afterAll(async () => {
      await apps?.close();
      await opened?.close();
    });

    it("is refused by verifyToken and authenticate when the host says where repositories live", async () => {
      for (const tokens of [s.guarded, s.guardedAsync]) {
        for (const secret of [s.projectToken, s.personalToken]) {
          expect(await tokens.verifyToken(secret, mismatched)).toMatchObject(refused);
          expect(await tokens.authenticate(`Bearer ${secret}`, mismatched)).toMatchObject(refused);
          expect((await tokens.verifyToken(secret, own)).ok).toBe(true);
        }
      }
      // A repository the host does not know is nobody's: refused as well.
      const unknown = { ...own, repositoryId: "nowhere" };
      expect(await s.guarded.verifyToken(s.projectToken, unknown)).toMatchObject(refused);
    });

    it("is refused through a requirement built from the resolved repository, without the host's answer", async () => {
      for (const secret of [s.projectToken, s.personalToken]) {
        const resolve = repositoryRequirement<undefined>("REPO_READ", () =>
          resolveRepository("b-repo"),
        );
        const requirement = (await resolve(undefined)) as Requirement;
        expect(requirement).toEqual({
          permission: "REPO_READ",
          projectId: "B",
          repositoryId: "b-repo",
        });
        expect(await s.plain.verifyToken(secret, requirement)).toMatchObject(refused);
      }
    });

    for (const framework of ["express", "fastify", "hono", "node"]) {
      it(`is refused by the ${framework} helper, on a naive route and on a resolved one`, async () => {
        const get = apps.get[framework] as (path: string, secret: string) => Promise<number>;
        for (const secret of [s.projectToken, s.personalToken]) {
          expect(await get("/naive/projects/A/repos/b-repo", secret)).toBe(403);
          expect(await get("/naive/projects/A/repos/a-repo", secret)).toBe(200);
          expect(await get("/resolved/repos/b-repo", secret)).toBe(403);
          expect(await get("/resolved/repos/a-repo", secret)).toBe(200);
        }
      });
    }

    it("cannot create a repository token that pairs a project with another project's repository", async () => {
      const owner = { kind: "repository", projectId: "A", repositoryId: "b-repo" } as const;
      const error = await s.guarded
        .create({ owner, name: "mismatched", permissions: ["REPO_READ"] }, { userId: "alice" })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields).toEqual(["owner.projectId"]);
    });
  });
}
