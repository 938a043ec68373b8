import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Actor } from "patkit";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { type DemoClient, isAuthenticationFailure } from "./demo-client.js";
import type { DemoServer } from "./server.js";
import { DEMO_PASSWORD } from "./sessions.js";

/** Where Debian's `chromium` package puts the browser (`apt-get install -y chromium`). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** How the stories start Chromium: headless, no sandbox (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether the browser the stories drive is installed. */
export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** The line to print when it is not. */
export const CHROMIUM_MISSING = `Chromium not found at ${CHROMIUM_PATH}: the browser stories did not run (apt-get install -y chromium).`;

/** Starts the installed Chromium through playwright-core (never a downloaded browser). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** What every story gets. */
export interface StoryContext {
  readonly server: DemoServer;
  readonly client: DemoClient;
  readonly browser: Browser;
  /** Where screenshots go (docs/screens for the README), or nowhere when undefined. */
  readonly screenshots?: string;
}

/** One story a person lives through in the screens; it throws at the first surprise. */
export interface Story {
  readonly name: string;
  run(context: StoryContext): Promise<void>;
}

/** The window size of every story: screenshots come out the same size. */
const VIEWPORT = { width: 1040, height: 400 };

/** A fixed stand-in shown in the screenshot of a new token, so the image is the same every run. */
const SAMPLE_SECRET = "pat_4Gd7Kq2Ls9Vx3Nb8Hc1Ty6Rf0Wm5Pz7Ej2Ua9Qk4So1Di8Lg3Xv6Cn0Bh5Mr2Yt7Fw";

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function newWindow(context: StoryContext): Promise<{ window: BrowserContext; page: Page }> {
  const window = await context.browser.newContext({ viewport: VIEWPORT });
  await window.grantPermissions(["clipboard-read", "clipboard-write"], {
    origin: context.server.url,
  });
  return { window, page: await window.newPage() };
}

async function signIn(page: Page, context: StoryContext, username: string, shot?: string) {
  await page.goto(`${context.server.url}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  if (shot) await screenshot(page, context, shot);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/account/tokens");
}

async function screenshot(page: Page, context: StoryContext, name: string): Promise<void> {
  if (!context.screenshots) return;
  await mkdir(context.screenshots, { recursive: true });
  await page.screenshot({ path: join(context.screenshots, `${name}.png`), fullPage: true });
}

/** Runs `body` in a fresh browser window, closing it whatever happens. */
async function inWindow(context: StoryContext, body: (page: Page) => Promise<void>) {
  const { window, page } = await newWindow(context);
  try {
    await body(page);
  } finally {
    await window.close();
  }
}

/** Follows a link of the main navigation (breadcrumbs may hold one of the same name). */
function mainMenu(page: Page, name: string): Promise<void> {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).click();
}

async function expiryOptions(page: Page): Promise<string[]> {
  return page
    .locator("#expiry option")
    .evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
}

const sessionOf = (userId: string): Actor => ({ userId, via: "session" });

/** The stories of the issue, in order: each leaves the policy as it found it. */
export const SCREEN_STORIES: readonly Story[] = [
  {
    name: "alice creates a token, copies it from the page, clones with it; revokes it and the clone is refused",
    run: (context) =>
      inWindow(context, async (page) => {
        const { server, client } = context;
        await signIn(page, context, "alice", "sign-in");
        await page.keyboard.press("Tab");
        const first = await page.evaluate(() => document.activeElement?.textContent);
        check(first === "Skip to content", `the first Tab reaches ${first}, not the skip link`);

        await page.getByRole("link", { name: "Create token" }).click();
        await page.getByRole("button", { name: "Create" }).click();
        await page.getByText("Enter a name for the token.").waitFor();
        const focused = await page.evaluate(() => document.activeElement?.id);
        check(focused === "name", `after the refusal the focus is on ${focused}, not the name`);
        await page.getByLabel("Token name").fill("laptop");
        await page.getByLabel("Project permissions").selectOption("PROJECT_ADMIN");
        const repository = await page.getByLabel("Repository permissions").inputValue();
        check(repository === "REPO_ADMIN", `the picker left ${repository} under PROJECT_ADMIN`);
        await page.getByLabel("Project permissions").selectOption("PROJECT_READ");
        await page.getByLabel("Repository permissions").selectOption("REPO_WRITE");
        await page.getByLabel("Expiry").selectOption("30");
        await screenshot(page, context, "create-token");
        await page.getByRole("button", { name: "Create" }).click();

        await page.getByRole("button", { name: "Copy" }).click();
        await page.getByText("Copied to the clipboard.").waitFor();
        const secret = await page.evaluate(() => navigator.clipboard.readText());
        check(/^pat_/.test(secret), "the clipboard holds no token");
        check(!page.url().includes(secret), "the secret is in the URL");
        await page.locator("#secret").evaluate((input, sample) => {
          (input as HTMLInputElement).value = sample;
        }, SAMPLE_SECRET);
        await screenshot(page, context, "token-created");

        const url = server.cloneUrl(server.cast.alpha, { username: "alice", password: secret });
        const clone = await client.clone(url, "alice-from-the-page");
        check(clone.code === 0, `the clone failed: ${clone.stderr}`);

        await page.getByRole("link", { name: /back to the tokens/ }).click();
        await server.tokens.flush();
        await page.reload();
        await screenshot(page, context, "my-tokens");
        await page.getByRole("link", { name: "Revoke laptop" }).click();
        await screenshot(page, context, "revoke-token");
        await page.getByRole("button", { name: "Revoke token" }).click();
        await page.getByText("The token was revoked").waitFor();
        const row = page.getByRole("row", { name: /^laptop / });
        check(
          (await row.textContent())?.includes("Revoked") === true,
          "the list does not say Revoked",
        );
        const refused = await client.lsRemote(url);
        check(isAuthenticationFailure(refused), `git was not refused: ${refused.stderr}`);
      }),
  },
  {
    name: "alice rotates a token: the new secret clones, the old one is refused once its grace is over",
    run: (context) =>
      inWindow(context, async (page) => {
        const { server, client } = context;
        const old = await server.tokens.create(
          {
            owner: { kind: "user", userId: server.cast.alice.id },
            name: "ci job",
            permissions: ["REPO_READ"],
            expiryDays: 30,
          },
          sessionOf(server.cast.alice.id),
        );
        await signIn(page, context, "alice");
        await page.getByRole("link", { name: "Rotate ci job" }).click();
        await page.getByLabel("The old token keeps working for").selectOption("0");
        await screenshot(page, context, "rotate-token");
        await page.getByRole("button", { name: "Rotate token" }).click();
        await page.getByText("The token was rotated").waitFor();
        const secret = await page.locator("#secret").inputValue();
        check(secret !== old.secret && /^pat_/.test(secret), "no new secret on the page");

        const repository = server.cast.alpha;
        const fresh = server.cloneUrl(repository, { username: "alice", password: secret });
        const clone = await client.clone(fresh, "alice-rotated");
        check(clone.code === 0, `the new secret does not clone: ${clone.stderr}`);
        const stale = server.cloneUrl(repository, { username: "alice", password: old.secret });
        const refused = await client.lsRemote(stale);
        check(isAuthenticationFailure(refused), `the old secret still works: ${refused.stderr}`);

        await page.getByRole("link", { name: /back to the tokens/ }).click();
        const row = page.getByRole("row", { name: /^ci job / }).filter({ hasText: "Revoked" });
        check(
          (await row.textContent())?.includes("rotated") === true,
          "the old token's row does not say it was rotated",
        );
      }),
  },
  {
    name: "carol requires an expiry of at most 30 days; alice's form offers neither Never nor 90 days",
    run: async (context) => {
      const { server } = context;
      const { alice, carol } = server.cast;
      const before = await server.tokens.getPolicy();
      await server.tokens.create(
        {
          owner: { kind: "user", userId: alice.id },
          name: "old script (no expiry)",
          permissions: ["REPO_READ"],
        },
        sessionOf(alice.id),
      );
      try {
        await inWindow(context, async (page) => {
          await signIn(page, context, "carol");
          await mainMenu(page, "Administration");
          await page.getByRole("link", { name: "System: HTTP access tokens" }).click();
          await page.getByLabel("Yes").check();
          await page.getByLabel("Max days until expiry").fill("30");
          await page.getByRole("button", { name: "Save" }).click();
          await page.getByText("The policy was saved.").waitFor();
          await screenshot(page, context, "policy");
          await page.getByRole("link", { name: "tokens that do not comply" }).click();
          await page.getByRole("row", { name: /old script/ }).waitFor();
          await screenshot(page, context, "non-compliant");
        });
        await inWindow(context, async (page) => {
          await signIn(page, context, "alice");
          await page.getByRole("link", { name: "Create token" }).click();
          const offered = await expiryOptions(page);
          check(!offered.includes("never"), `Never is still offered: ${offered}`);
          check(!offered.includes("90"), `90 days are still offered: ${offered}`);
          check(offered.includes("30"), `30 days are not offered: ${offered}`);
        });
      } finally {
        await server.tokens.setPolicy(before, sessionOf(carol.id));
      }
    },
  },
  {
    name: "carol edits and revokes alice's token, and finds no create button",
    run: async (context) => {
      const { server } = context;
      const { alice } = server.cast;
      const { token } = await server.tokens.create(
        {
          owner: { kind: "user", userId: alice.id },
          name: "build server",
          permissions: ["PROJECT_READ", "REPO_WRITE"],
          expiryDays: 60,
        },
        sessionOf(alice.id),
      );
      await inWindow(context, async (page) => {
        await signIn(page, context, "carol");
        await mainMenu(page, "Administration");
        await page.getByRole("link", { name: "Users" }).click();
        await screenshot(page, context, "admin-users");
        await page.getByRole("link", { name: "HTTP access tokens of alice" }).click();
        const creates = await page.getByRole("link", { name: "Create token" }).count();
        check(creates === 0, "an admin is offered to create a token for alice");
        await screenshot(page, context, "admin-user-tokens");
        await page.getByRole("link", { name: "Edit build server" }).click();
        check((await page.locator("#expiry").count()) === 0, "the set expiry can be edited");
        await page.getByLabel("Token name").fill("build server (reviewed)");
        await page.getByLabel("Repository permissions").selectOption("REPO_READ");
        await screenshot(page, context, "edit-token");
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByText("The token was saved.").waitFor();
        await page.getByRole("link", { name: "Revoke build server (reviewed)" }).click();
        await page.getByRole("button", { name: "Revoke token" }).click();
        await page.getByText("The token was revoked").waitFor();
      });
      const after = await server.tokens.get(token.id, sessionOf(alice.id));
      check(after.name === "build server (reviewed)", `the name is ${after.name}`);
      check(after.permissions.join() === "PROJECT_READ,REPO_READ", `${after.permissions}`);
      check(after.status === "revoked", `the token is ${after.status}`);
    },
  },
  {
    name: "alice manages PRJ's tokens in its settings; bob cannot reach them",
    run: async (context) => {
      await inWindow(context, async (page) => {
        await signIn(page, context, "alice");
        await mainMenu(page, "Projects");
        await page
          .getByRole("link", { name: "Repository settings: HTTP access tokens" })
          .first()
          .click();
        await page.getByRole("link", { name: "Create token" }).click();
        const projectPicker = await page.getByLabel("Project permissions").count();
        check(projectPicker === 0, "a repository token form offers project permissions");
        await screenshot(page, context, "repository-token-create");
        await mainMenu(page, "Projects");
        await page.getByRole("link", { name: "Project settings: HTTP access tokens" }).click();
        await page.getByRole("link", { name: "Create token" }).click();
        await page.getByLabel("Token name").fill("PRJ CI");
        await page.getByRole("button", { name: "Create" }).click();
        await page.getByRole("link", { name: /back to the tokens/ }).click();
        await screenshot(page, context, "project-tokens");
      });
      await inWindow(context, async (page) => {
        await signIn(page, context, "bob");
        await mainMenu(page, "Projects");
        const links = await page.getByRole("link", { name: /settings/ }).count();
        check(links === 0, "bob is offered settings links");
        const answer = await page.goto(`${context.server.url}/projects/PRJ/settings/tokens`);
        check(answer?.status() === 403, `bob's visit answered ${answer?.status()}`);
        await page.getByText("Only admins of project PRJ see its settings.").waitFor();
        await screenshot(page, context, "project-settings-refused");
      });
    },
  },
  {
    name: "a form posted from another origin changes nothing",
    run: async (context) => {
      const { server } = context;
      const { alice } = server.cast;
      const { token } = await server.tokens.create(
        { owner: { kind: "user", userId: alice.id }, name: "precious", permissions: ["REPO_READ"] },
        sessionOf(alice.id),
      );
      const target = `${server.url}/account/tokens/${token.id}/revoke`;
      // Same site (127.0.0.1), other origin (port): the SameSite cookie is sent, so the CSRF
      // token and the origin check are what must refuse.
      const attacker = createServer((_request, response) => {
        response.setHeader("Content-Type", "text/html");
        response.end(`<!doctype html><form id="f" method="post" action="${target}">
          <input name="_csrf" value="guessed"></form>
          <script>document.getElementById("f").submit()</script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
      try {
        await inWindow(context, async (page) => {
          await signIn(page, context, "alice");
          const { port } = attacker.address() as AddressInfo;
          const refused = page.waitForResponse((response) => response.url() === target);
          await page.goto(`http://127.0.0.1:${port}/`);
          const answer = await refused;
          check(answer.status() === 403, `the cross-origin post answered ${answer.status()}`);
        });
      } finally {
        attacker.close();
        attacker.closeAllConnections();
      }
      const after = await server.tokens.get(token.id, sessionOf(alice.id));
      check(after.status === "active", `the token is ${after.status}`);
    },
  },
];
