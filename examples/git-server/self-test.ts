import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManualClock, DAY_MS } from "patkit";
import { MANAGEMENT_PREFIX, ROTATE_PREFIX } from "./bitbucket-api.js";
import { DemoClient, isAuthenticationFailure, isForbidden } from "./demo-client.js";
import { expiryMail } from "./expiry-mail.js";
import type { GitRun } from "./git.js";
import {
  CHROMIUM_MISSING,
  chromiumInstalled,
  launchChromium,
  SCREEN_STORIES,
} from "./screen-stories.js";
import { type AuditEntry, startDemoServer } from "./server.js";
import type { StorageChoice } from "./storage.js";

/**
 * Walks the whole story against a fresh server with the real `git`: tokens created through
 * Bitbucket's REST API, clones and pushes that must pass, and every refusal that must happen.
 * Resolves to the number of surprises (0 when all went as expected).
 */
export async function runSelfTest(options: {
  storage: (dataDir: string) => StorageChoice;
  print: (line: string) => void;
}): Promise<number> {
  const { print } = options;
  const dataDir = await mkdtemp(join(tmpdir(), "patkit-self-test-"));
  const audit: AuditEntry[] = [];
  const clock = createManualClock(new Date());
  const server = await startDemoServer({
    dataDir,
    storage: options.storage(dataDir),
    clock,
    onAudit: (entry) => audit.push(entry),
    log: (line) => print(`    (server) ${line}`),
  });
  let surprises = 0;
  const check = async (label: string, test: () => Promise<string | true>) => {
    let outcome: string | true;
    try {
      outcome = await test();
    } catch (error) {
      outcome = error instanceof Error ? error.message : String(error);
    }
    if (outcome === true) print(`  ok    ${label}`);
    else {
      surprises++;
      print(`  FAIL  ${label}\n        ${outcome.replaceAll("\n", "\n        ")}`);
    }
  };
  const refusedFor = (reason: string) => () =>
    audit.some((entry) => entry.kind === "refused" && entry.reason === reason);
  const expect = (run: GitRun, ok: boolean | ((run: GitRun) => boolean), extra?: () => boolean) => {
    const passed = typeof ok === "function" ? ok(run) : ok === (run.code === 0);
    if (!passed) return `git exited ${run.code}: ${run.stderr.trim() || "(no output)"}`;
    if (extra && !extra()) return "the server's audit trail lacks the expected reason";
    return true as const;
  };

  try {
    print(`patkit self-test: server ${server.url}, tokens ${server.storage.description}`);
    const { alpha, beta, infra, bob } = server.cast;
    const client = await DemoClient.create(server.url, dataDir);
    const plain = (repository: typeof alpha) => server.cloneUrl(repository);

    print("Tokens, created through Bitbucket's REST API by signed-in users:");
    const alicePersonal = await client.createToken("/users/alice", "alice", {
      name: "alice laptop",
      permissions: ["PROJECT_READ", "REPO_WRITE"],
    });
    const bobPersonal = await client.createToken("/users/bob", "bob", {
      name: "bob laptop",
      permissions: ["REPO_WRITE"],
    });
    const projectToken = await client.createToken("/projects/PRJ", "alice", {
      name: "PRJ CI",
      permissions: ["PROJECT_READ", "REPO_READ"],
    });
    const repositoryToken = await client.createToken("/projects/PRJ/repos/alpha", "alice", {
      name: "alpha deploy",
      permissions: ["REPO_WRITE"],
    });
    const oneDay = await client.createToken("/users/alice", "alice", {
      name: "alice, one day",
      permissions: ["REPO_READ"],
      expiryDays: 1,
    });
    print("  ok    a personal, a project, a repository and an expiring token");

    print("Maintenance:");
    await check("the one-day token gets its 1-day expiry notice, once", async () => {
      const first = await server.tokens.runMaintenance();
      const again = await server.tokens.runMaintenance();
      const notices = audit.flatMap((entry) =>
        entry.kind === "event" && entry.event.type === "token.expiring" ? [entry.event] : [],
      );
      const [notice] = notices;
      if (first.notices !== 1 || again.notices !== 0 || notices.length !== 1 || !notice) {
        return `expected one notice, got ${first.notices} then ${again.notices}`;
      }
      print(`        ${expiryMail(notice, server.host)}`);
      return (notice.token.id === oneDay.id && notice.daysLeft === 1) || "the wrong notice";
    });

    print("Git over HTTP:");
    await check("an anonymous clone is refused", async () =>
      expect(await client.clone(plain(alpha), "anonymous"), isAuthenticationFailure),
    );
    const aliceUrl = server.cloneUrl(alpha, { username: "alice", password: alicePersonal.secret });
    await check("alice clones PRJ/alpha with her personal token over Basic", async () =>
      expect(await client.clone(aliceUrl, "alice-alpha"), true),
    );
    await check("alice's push to PRJ/alpha lands", async () => {
      const pushed = expect(await client.commitAndPush("alice-alpha"), true);
      if (pushed !== true) return pushed;
      const remote = await client.lsRemote(plain(alpha), projectToken.secret);
      const head = await client.head("alice-alpha");
      return remote.stdout.includes(`${head}\trefs/heads/main`) || `main is not ${head}`;
    });
    await check("the project token clones PRJ/beta over Bearer", async () =>
      expect(await client.clone(plain(beta), "project-beta", projectToken.secret), true),
    );
    await check("the project token (read) cannot push", async () =>
      expect(await client.commitAndPush("project-beta", projectToken.secret), isForbidden),
    );
    await check("the project token over Basic is refused", async () => {
      const url = server.cloneUrl(beta, { username: "alice", password: projectToken.secret });
      return expect(
        await client.lsRemote(url),
        isAuthenticationFailure,
        refusedFor("wrong_scheme"),
      );
    });
    await check("the project token cannot reach project OPS", async () =>
      expect(await client.lsRemote(plain(infra), projectToken.secret), isForbidden),
    );
    await check("the repository token pushes to PRJ/alpha", async () => {
      const cloned = expect(
        await client.clone(plain(alpha), "repo-alpha", repositoryToken.secret),
        true,
      );
      if (cloned !== true) return cloned;
      return expect(await client.commitAndPush("repo-alpha", repositoryToken.secret), true);
    });
    await check("the repository token cannot reach PRJ/beta", async () =>
      expect(await client.lsRemote(plain(beta), repositoryToken.secret), isForbidden),
    );
    const bobUrl = server.cloneUrl(beta, { username: "bob", password: bobPersonal.secret });
    await check("bob (reader of PRJ) clones with his write token", async () =>
      expect(await client.clone(bobUrl, "bob-beta"), true),
    );
    await check("bob's push is refused: a token never exceeds its user", async () =>
      expect(await client.commitAndPush("bob-beta"), isForbidden),
    );
    await check("bob loses PRJ, and his token loses it with him", async () => {
      server.host.setProjectPermission(bob.id, server.cast.prj.id, null);
      return expect(await client.lsRemote(bobUrl), isForbidden);
    });
    await check("a revoked token is refused", async () => {
      const path = `${MANAGEMENT_PREFIX}/projects/PRJ/repos/alpha/${repositoryToken.id}`;
      const revoked = await client.api("DELETE", path, { session: "alice" });
      if (revoked.status !== 204) {
        return `revoking answered ${revoked.status}`;
      }
      return expect(
        await client.lsRemote(plain(alpha), repositoryToken.secret),
        isAuthenticationFailure,
        refusedFor("revoked"),
      );
    });
    await check("a token is refused once it expires", async () => {
      const url = server.cloneUrl(alpha, { username: "alice", password: oneDay.secret });
      const before = expect(await client.lsRemote(url), true);
      if (before !== true) return `before expiry: ${before}`;
      clock.advance(DAY_MS);
      return expect(await client.lsRemote(url), isAuthenticationFailure, refusedFor("expired"));
    });

    print("Bitbucket's access-token REST API:");
    await check("a token-authenticated caller cannot create tokens (401)", async () => {
      const response = await client.api(
        "PUT",
        `${MANAGEMENT_PREFIX}/users/alice`,
        { bearer: alicePersonal.secret },
        { name: "from a token", permissions: ["REPO_READ"] },
      );
      return bitbucketError(response, 401, "AuthorisationException");
    });
    await check("an admin cannot create a token for another user (401)", async () => {
      const response = await client.api(
        "PUT",
        `${MANAGEMENT_PREFIX}/users/alice`,
        { session: "carol" },
        { name: "for alice", permissions: ["REPO_READ"] },
      );
      return bitbucketError(response, 401, "AuthorisationException");
    });
    await check("an expiry, once set, cannot change (400)", async () => {
      const response = await client.api(
        "POST",
        `${MANAGEMENT_PREFIX}/users/alice/${oneDay.id}`,
        { session: "alice" },
        { expiryDays: 30 },
      );
      return bitbucketError(response, 400, "Expiry");
    });
    await check(
      "alice rotates her token (patkit's extension) and clones with the new secret; the old one works for the grace only",
      async () => {
        const rotated = await client.api(
          "POST",
          `${ROTATE_PREFIX}/users/alice/${alicePersonal.id}/rotate`,
          { session: "alice" },
          { graceSeconds: 60 },
        );
        const body = rotated.body as { id?: string; token?: string; previous?: { id?: string } };
        if (rotated.status !== 200 || !body.token || body.previous?.id !== alicePersonal.id) {
          return `rotating answered ${rotated.status} ${JSON.stringify(rotated.body)}`;
        }
        const fresh = server.cloneUrl(alpha, { username: "alice", password: body.token });
        const cloned = expect(await client.clone(fresh, "alice-rotated-api"), true);
        if (cloned !== true) return `the new secret: ${cloned}`;
        const old = server.cloneUrl(alpha, { username: "alice", password: alicePersonal.secret });
        const during = expect(await client.lsRemote(old), true);
        if (during !== true) return `the old secret during the grace: ${during}`;
        clock.advance(60_000);
        return expect(await client.lsRemote(old), isAuthenticationFailure, refusedFor("revoked"));
      },
    );

    print("The screens, in Chromium:");
    if (!chromiumInstalled()) print(`  skip  ${CHROMIUM_MISSING}`);
    else {
      const browser = await launchChromium();
      try {
        for (const story of SCREEN_STORIES) {
          await check(story.name, async () => {
            await story.run({ server, client, browser });
            return true;
          });
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  print(surprises === 0 ? "All as expected." : `${surprises} surprise(s).`);
  return surprises;
}

/** True when the answer is Bitbucket's error shape with this status and exception name part. */
function bitbucketError(
  response: { status: number; body: { errors?: { exceptionName?: string }[] } | null },
  status: number,
  exception: string,
): string | true {
  const name = response.body?.errors?.[0]?.exceptionName ?? "";
  if (response.status === status && name.includes(exception)) return true;
  return `expected ${status} ${exception}, got ${response.status} ${JSON.stringify(response.body)}`;
}
