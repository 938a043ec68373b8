import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { AccessTokens, Actor, CreateTokenInput } from "patkit";
import { MANAGEMENT_PREFIX, POLICY_PATH } from "./bitbucket-api.js";
import type { DemoHost } from "./demo-host.js";
import { expiryMail, scheduleMaintenance } from "./expiry-mail.js";
import { runSelfTest } from "./self-test.js";
import { type AuditEntry, startDemoServer } from "./server.js";
import { DEMO_PASSWORD } from "./sessions.js";
import { storageFromEnvironment } from "./storage.js";

const USAGE = `Usage: npm run demo -- [--port 7990] [--data-dir .data] [--self-test]

Starts patkit's demo Git server: every request is authenticated with an access token.
  --port       port on 127.0.0.1 (default 7990; 0 picks a free one)
  --data-dir   where repositories and the PGlite database live (default: .data in the repo)
  --self-test  walk the whole story with the real git client in a temporary directory, and
               the screens in Chromium when /usr/bin/chromium is installed; exit 1 on any surprise
Environment: DATABASE_URL=postgres://... keeps tokens in PostgreSQL instead of PGlite.`;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "7990" },
      "data-dir": { type: "string", default: join(repoRoot, ".data") },
      "self-test": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values["self-test"]) {
    const surprises = await runSelfTest({
      storage: (dataDir) => storageFromEnvironment(dataDir, { isolated: true }),
      print: (line) => console.log(line),
    });
    return surprises === 0 ? 0 : 1;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port: expected a port number, got ${values.port}\n\n${USAGE}`);
    return 2;
  }
  const dataDir = resolve(values["data-dir"]);
  await mkdir(dataDir, { recursive: true });
  // Expiry notices print as the e-mail a host would send; the host is known once started.
  let host: DemoHost | undefined;
  const server = await startDemoServer({
    dataDir,
    port,
    storage: storageFromEnvironment(dataDir),
    onAudit: (entry) => {
      const mail = entry.kind === "event" && host ? expiryMail(entry.event, host) : null;
      console.log(mail ?? describe(entry));
    },
    log: (line) => console.error(line),
  });
  host = server.host;
  await printWelcome(server.url, server.tokens, server, dataDir);
  const stopMaintenance = scheduleMaintenance(server.tokens, (line) => console.log(line));

  await new Promise<void>((done) => {
    const stop = () => done();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  console.log("\nStopping…");
  stopMaintenance();
  await server.close();
  return 0;
}

async function printWelcome(
  url: string,
  tokens: AccessTokens,
  server: Awaited<ReturnType<typeof startDemoServer>>,
  dataDir: string,
): Promise<void> {
  const { alice, prj, alpha, beta } = server.cast;
  const asAlice: Actor = { userId: alice.id, via: "session" };
  const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
  const create = (input: CreateTokenInput) => tokens.create(input, asAlice);
  const personal = await create({
    owner: { kind: "user", userId: alice.id },
    name: `demo personal token (${stamp})`,
    permissions: ["PROJECT_READ", "REPO_WRITE"],
    expiryDays: 30,
  });
  const project = await create({
    owner: { kind: "project", projectId: prj.id },
    name: `demo project token (${stamp})`,
    permissions: ["PROJECT_READ", "REPO_READ"],
    expiryDays: 30,
  });
  const repository = await create({
    owner: { kind: "repository", projectId: prj.id, repositoryId: alpha.id },
    name: `demo repository token (${stamp})`,
    permissions: ["REPO_WRITE"],
    expiryDays: 30,
  });
  const header = (secret: string) => `-c http.extraHeader="Authorization: Bearer ${secret}"`;
  const clone = (repo: typeof alpha) => server.cloneUrl(repo);
  console.log(`
patkit demo Git server: ${url}
  repositories and data: ${dataDir}
  tokens:                ${server.storage.description}

Screens (HTTP access tokens in a browser): ${url}/login
  sign in as alice, bob, carol or erin with the password "${DEMO_PASSWORD}"

Users: alice (admin of PRJ), bob (reads PRJ), erin (writes PRJ/alpha), carol (system admin),
dave (inactive). Projects: PRJ (alpha, beta), OPS (infra). Fresh tokens, valid 30 days:

alice's personal token (read + write), over Basic auth as Git's password:
  git clone ${server.cloneUrl(alpha, { username: "alice", password: personal.secret })} alpha-alice

PRJ's project token (read), over Bearer:
  git ${header(project.secret)} clone ${clone(beta)} beta-project

PRJ/alpha's repository token (read + write), over Bearer:
  git ${header(repository.secret)} clone ${clone(alpha)} alpha-repository
  (then push from the clone: git ${header(repository.secret)} push origin HEAD:main)

Bitbucket's access-token REST API (demo sign-in: any user, password "${DEMO_PASSWORD}"):
  curl -u alice:${DEMO_PASSWORD} ${url}${MANAGEMENT_PREFIX}/users/alice
  curl -u alice:${DEMO_PASSWORD} -X PUT -H 'Content-Type: application/json' \\
    -d '{"name":"laptop","permissions":["REPO_READ"],"expiryDays":7}' ${url}${MANAGEMENT_PREFIX}/users/alice
  curl -u alice:${DEMO_PASSWORD} -X DELETE ${url}${MANAGEMENT_PREFIX}/projects/PRJ/${project.token.id}
  curl -u carol:${DEMO_PASSWORD} ${url}${POLICY_PATH}   (patkit's extension)

Maintenance runs every minute: expiry notices print as the e-mails they would be.
Refusals and token changes are logged below. Ctrl-C to stop.
`);
}

function describe(entry: AuditEntry): string {
  if (entry.kind === "refused") {
    // Git asks anonymously first and sends its credentials after this challenge: not news.
    if (entry.reason === "missing_credentials") {
      return `challenge 401 (no credentials yet): ${entry.method} ${entry.path}`;
    }
    const token = entry.tokenId ? ` token ${entry.tokenId}` : "";
    return `refused ${entry.status} ${entry.reason}${token}: ${entry.method} ${entry.path}`;
  }
  const { event } = entry;
  const subject = event.token ? ` ${event.token.id} (${event.token.name})` : "";
  const by = event.actor
    ? `by ${event.actor.userId} via ${event.actor.via ?? "session"}`
    : "by patkit (maintenance)";
  return `${event.type}${subject} ${by}`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if ((error as { code?: string }).code === "EADDRINUSE") {
      console.error(`The port is taken: try npm run demo -- --port 0\n(${message})`);
    } else console.error(error);
    process.exit(1);
  },
);
