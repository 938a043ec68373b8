import { tokenPattern } from "patkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2e, startE2e } from "./harness.js";
import { elementText, ScreenClient } from "./screen-client.js";

// The token screens over plain HTTP: the security properties of real forms (sessions, CSRF,
// headers) and every library refusal shown next to its field. The browser suite walks the stories.
let e2e: E2e;
let base: string;
beforeAll(async () => {
  e2e = await startE2e();
  base = e2e.server.url;
});
afterAll(async () => {
  await e2e?.close();
});

const createFields = (name: string, extra: Record<string, string> = {}) => ({
  name,
  projectPermission: "PROJECT_READ",
  repositoryPermission: "REPO_READ",
  expiry: "30",
  ...extra,
});

async function aliceTokens() {
  const { alice } = e2e.server.cast;
  const page = await e2e.server.tokens.list(
    { owner: { kind: "user", userId: alice.id }, limit: 100 },
    { userId: alice.id },
  );
  return page.items;
}

describe("sessions and headers", () => {
  it("serves the sign-in form with a session cookie that scripts and other sites cannot use", async () => {
    const answer = await fetch(`${base}/login`);
    expect(answer.status).toBe(200);
    const cookie = answer.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^patkit_demo_session=[\w-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    const policy = answer.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });

  it("sends visitors who are not signed in to the sign-in page, and back afterwards", async () => {
    const client = new ScreenClient(base);
    const answer = await client.get("/projects/PRJ/settings/tokens");
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe(
      "/login?next=%2Fprojects%2FPRJ%2Fsettings%2Ftokens",
    );
    const form = await client.get(answer.headers.get("location") ?? "");
    expect(form.text).toContain('name="next" value="/projects/PRJ/settings/tokens"');
    const signedIn = await client.post("/login", {
      username: "alice",
      password: "demo",
      next: "/projects/PRJ/settings/tokens",
    });
    expect(signedIn.headers.get("location")).toBe("/projects/PRJ/settings/tokens");
  });

  it("refuses a wrong password and a deactivated user, and never redirects off the site", async () => {
    const client = new ScreenClient(base);
    await client.get("/login");
    const wrong = await client.post("/login", { username: "alice", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain("Wrong username or password");
    const dave = await client.post("/login", { username: "dave", password: "demo" });
    expect(dave.status).toBe(401);
    const away = await client.post("/login", {
      username: "alice",
      password: "demo",
      next: "//evil.example/",
    });
    expect(away.headers.get("location")).toBe("/account/tokens");
  });

  it("signs out: the old session opens nothing", async () => {
    const client = await ScreenClient.signedIn(base, "bob");
    expect((await client.get("/account/tokens")).status).toBe(200);
    expect((await client.post("/logout", {})).status).toBe(303);
    expect((await client.get("/account/tokens")).status).toBe(303);
  });
});

describe("creating a token through the form", () => {
  it("shows the secret once, on a page that is not stored, and never in a URL", async () => {
    const client = await ScreenClient.signedIn(base, "alice");
    await client.get("/account/tokens/new");
    const answer = await client.post("/account/tokens/new", createFields("from the form"));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("location")).toBeNull();
    const secret = /id="secret" type="text" value="([^"]+)"/.exec(answer.text)?.[1] ?? "";
    expect(secret).toMatch(tokenPattern());
    const verified = await e2e.server.tokens.verifyToken(secret);
    expect(verified.ok && verified.token.name).toBe("from the form");
    // The list shows the token and nothing of the secret.
    const list = await client.get("/account/tokens");
    expect(list.text).toContain("from the form");
    expect(list.text).not.toContain(secret);
  });

  it("escapes what users typed", async () => {
    const client = await ScreenClient.signedIn(base, "alice");
    await client.get("/account/tokens/new");
    await client.post("/account/tokens/new", createFields("<script>alert(1)</script>"));
    const list = await client.get("/account/tokens");
    expect(list.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(list.text).not.toContain("<script>alert(1)");
  });

  it("shows each refusal of patkit next to its field, keeping what was typed", async () => {
    const client = await ScreenClient.signedIn(base, "alice");
    await client.get("/account/tokens/new");
    const before = (await aliceTokens()).length;

    const noName = await client.post("/account/tokens/new", createFields("   "));
    expect(noName.status).toBe(422);
    expect(elementText(noName.text, "name-error")).toBe("Enter a name for the token.");
    expect(noName.text).toMatch(/id="name"[^>]*aria-describedby="name-hint name-error"/);

    const below = await client.post(
      "/account/tokens/new",
      createFields("below", {
        projectPermission: "PROJECT_ADMIN",
        repositoryPermission: "REPO_READ",
      }),
    );
    expect(elementText(below.text, "permissions-error")).toMatch(
      /^REPO_READ is below PROJECT_ADMIN: the repository level must be at least the project level\.$/,
    );
    expect(below.text).toContain('value="below"');

    const made = await client.post(
      "/account/tokens/new",
      createFields("made up", { repositoryPermission: "REPO_GOD" }),
    );
    expect(elementText(made.text, "permissions-error")).toBe(
      "Choose the permissions from the lists.",
    );

    const badExpiry = await client.post(
      "/account/tokens/new",
      createFields("x", { expiry: "soon" }),
    );
    expect(elementText(badExpiry.text, "expiry-error")).toBe("Choose an expiry from the list.");
    expect(await aliceTokens()).toHaveLength(before);
  });

  it("shows the policy's refusals next to the expiry, and the per-owner limit for the form", async () => {
    const { carol } = e2e.server.cast;
    const carolActor = { userId: carol.id, via: "session" as const };
    const live = (await aliceTokens()).filter((token) => token.status === "active").length;
    await e2e.server.tokens.setPolicy(
      { expiryRequired: true, maxExpiryDays: 30, maxTokensPerOwner: live + 1 },
      carolActor,
    );
    try {
      const client = await ScreenClient.signedIn(base, "alice");
      const form = await client.get("/account/tokens/new");
      expect(form.text).not.toContain('value="never"');
      expect(form.text).not.toContain('value="90"');
      expect(form.text).toContain("30 days (the maximum)");
      const never = await client.post(
        "/account/tokens/new",
        createFields("n", { expiry: "never" }),
      );
      expect(elementText(never.text, "expiry-error")).toBe(
        "The token policy requires an expiry: choose a number of days.",
      );
      const long = await client.post("/account/tokens/new", createFields("l", { expiry: "90" }));
      expect(elementText(long.text, "expiry-error")).toBe(
        "The token policy allows at most 30 days: choose a shorter expiry.",
      );
      expect((await client.post("/account/tokens/new", createFields("last one"))).status).toBe(200);
      const over = await client.post("/account/tokens/new", createFields("one too many"));
      expect(elementText(over.text, "form-error")).toBe(
        `You already have the maximum of ${live + 1} active tokens: revoke one to create another.`,
      );
    } finally {
      await e2e.server.tokens.setPolicy({ expiryRequired: false }, carolActor);
    }
  });
});

describe("cross-site requests and CSRF", () => {
  it("changes nothing without this session's CSRF token, or from another origin", async () => {
    const client = await ScreenClient.signedIn(base, "alice");
    await client.get("/account/tokens/new");
    const before = (await aliceTokens()).length;
    const missing = await client.post("/account/tokens/new", {
      ...createFields("csrf missing"),
      _csrf: "",
    });
    expect(missing.status).toBe(403);
    const guessed = await client.post("/account/tokens/new", {
      ...createFields("csrf guessed"),
      _csrf: "A".repeat(43),
    });
    expect(guessed.status).toBe(403);
    const elsewhere = await client.post("/account/tokens/new", createFields("other origin"), {
      origin: "http://evil.example",
    });
    expect(elsewhere.status).toBe(403);
    const crossSite = await client.post("/account/tokens/new", createFields("cross site"), {
      "sec-fetch-site": "cross-site",
    });
    expect(crossSite.status).toBe(403);
    expect(await aliceTokens()).toHaveLength(before);
  });
});

describe("who sees what", () => {
  it("keeps bob out of project settings and everyone but system admins out of administration", async () => {
    const bob = await ScreenClient.signedIn(base, "bob");
    expect((await bob.get("/projects/PRJ/settings/tokens")).status).toBe(403);
    expect((await bob.get("/projects/PRJ/repos/alpha/settings/tokens/new")).status).toBe(403);
    expect((await bob.get("/admin/tokens")).status).toBe(403);
    expect((await bob.get("/admin/users/alice/tokens")).status).toBe(403);
    const projects = await bob.get("/projects");
    expect(projects.text).toContain("Demo project (PRJ)");
    expect(projects.text).not.toContain("settings/tokens");
  });

  it("gives a system admin a user's tokens to edit and revoke, with no create button", async () => {
    const carol = await ScreenClient.signedIn(base, "carol");
    const page = await carol.get("/admin/users/alice/tokens");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Create token");
    expect(page.text).toContain("Edit");
    expect((await carol.get("/admin/users/alice/tokens/new")).status).toBe(404);
  });

  it("answers 404 for a token of another owner under an owner's path", async () => {
    const { alice } = e2e.server.cast;
    const { token } = await e2e.server.tokens.create(
      { owner: { kind: "user", userId: alice.id }, name: "alice's", permissions: ["REPO_READ"] },
      { userId: alice.id },
    );
    const client = await ScreenClient.signedIn(base, "alice");
    expect((await client.get(`/account/tokens/${token.id}/edit`)).status).toBe(200);
    expect((await client.get(`/projects/PRJ/settings/tokens/${token.id}/edit`)).status).toBe(404);
  });
});

describe("rotation", () => {
  const secretOf = (page: string) =>
    /id="secret" type="text" value="([^"]+)"/.exec(page)?.[1] ?? "";

  it("rotates a token with a grace period: a new secret once, the old one working until then", async () => {
    const client = await ScreenClient.signedIn(base, "alice");
    await client.get("/account/tokens/new");
    const oldSecret = secretOf(
      (await client.post("/account/tokens/new", createFields("to rotate"))).text,
    );
    const old = (await aliceTokens()).find((token) => token.name === "to rotate");
    if (!old) throw new Error("the token was not created");
    expect((await client.get("/account/tokens")).text).toContain(
      `href="/account/tokens/${old.id}/rotate"`,
    );

    const form = await client.get(`/account/tokens/${old.id}/rotate`);
    expect(form.status).toBe(200);
    expect(form.text).toContain("The same lifetime (30 days)");
    const bad = await client.post(`/account/tokens/${old.id}/rotate`, {
      grace: "1.5",
      expiry: "same",
    });
    expect(bad.status).toBe(422);
    expect(elementText(bad.text, "grace-error")).toMatch(/^Choose how long/);

    const rotated = await client.post(`/account/tokens/${old.id}/rotate`, {
      grace: "3600",
      expiry: "same",
    });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    const newSecret = secretOf(rotated.text);
    expect(newSecret).toMatch(tokenPattern());
    expect(newSecret).not.toBe(oldSecret);
    expect(await e2e.server.tokens.verifyToken(newSecret)).toMatchObject({ ok: true });
    expect(await e2e.server.tokens.verifyToken(oldSecret)).toMatchObject({ ok: true });

    // A token already rotated offers no second rotation, and refuses one.
    const list = await client.get("/account/tokens");
    expect(list.text).not.toContain(`href="/account/tokens/${old.id}/rotate"`);
    const again = await client.post(`/account/tokens/${old.id}/rotate`, {
      grace: "0",
      expiry: "same",
    });
    expect(again.status).toBe(422);
  });

  it("with no grace, the old secret stops at once", async () => {
    const client = await ScreenClient.signedIn(base, "alice");
    await client.get("/account/tokens/new");
    const oldSecret = secretOf(
      (await client.post("/account/tokens/new", createFields("rotate now"))).text,
    );
    const old = (await aliceTokens()).find((token) => token.name === "rotate now");
    if (!old) throw new Error("the token was not created");
    await client.get(`/account/tokens/${old.id}/rotate`);
    const rotated = await client.post(`/account/tokens/${old.id}/rotate`, {
      grace: "0",
      expiry: "7",
    });
    expect(rotated.status).toBe(200);
    expect(await e2e.server.tokens.verifyToken(oldSecret)).toMatchObject({ reason: "revoked" });
    const fresh = await e2e.server.tokens.verifyToken(secretOf(rotated.text));
    if (!fresh.ok) throw new Error("the new secret does not verify");
    const lifetime = (fresh.token.expiresAt?.getTime() ?? 0) - fresh.token.createdAt.getTime();
    expect(lifetime).toBe(7 * 86_400_000);
    expect((await client.get("/account/tokens")).text).toContain("(rotated)");
  });

  it("offers no rotation where the viewer cannot create the owner's tokens", async () => {
    const old = (await aliceTokens()).find((token) => token.status === "active");
    if (!old) throw new Error("alice has no active token");
    const carol = await ScreenClient.signedIn(base, "carol");
    const page = await carol.get("/admin/users/alice/tokens");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("/rotate");
    expect((await carol.get(`/admin/users/alice/tokens/${old.id}/rotate`)).status).toBe(404);
  });
});

describe("the policy form", () => {
  it("shows refusals next to the fields and saves a valid policy", async () => {
    const carol = await ScreenClient.signedIn(base, "carol");
    await carol.get("/admin/tokens");
    const bad = await carol.post("/admin/tokens", {
      expiryRequired: "yes",
      maxExpiryDays: "12.5",
      maxTokensPerOwner: "0",
      revokeUnusedAfterDays: "0",
    });
    expect(bad.status).toBe(422);
    expect(elementText(bad.text, "revokeUnusedAfterDays-error")).toMatch(/^Enter a whole number/);
    expect(elementText(bad.text, "maxExpiryDays-error")).toMatch(/^Enter a whole number of days/);
    expect(elementText(bad.text, "maxTokensPerOwner-error")).toMatch(/^Enter a whole number/);
    expect(await e2e.server.tokens.getPolicy()).toMatchObject({ expiryRequired: false });

    const saved = await carol.post("/admin/tokens", {
      expiryRequired: "yes",
      maxExpiryDays: "90",
      maxTokensPerOwner: "",
      revokeUnusedAfterDays: "365",
    });
    expect(saved.status).toBe(303);
    expect(await e2e.server.tokens.getPolicy()).toEqual({
      expiryRequired: true,
      maxExpiryDays: 90,
      revokeUnusedAfterDays: 365,
    });
    expect((await carol.get("/admin/tokens")).text).toMatch(
      /id="revokeUnusedAfterDays"[^>]*value="365"/,
    );
    const nonCompliant = await carol.get("/admin/tokens/non-compliant");
    expect(nonCompliant.text).toContain("No expiry, but the policy requires one");
    await e2e.server.tokens.setPolicy(
      { expiryRequired: false },
      { userId: e2e.server.cast.carol.id, via: "session" },
    );
  });
});
