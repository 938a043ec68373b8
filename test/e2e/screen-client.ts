import { DEMO_PASSWORD } from "../../examples/git-server/sessions.js";

/** One answer of the demo's screens. */
export interface ScreenAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * A cookie-keeping HTTP client for the demo's screens, without a browser: what a browser sends,
 * by hand, so tests can also send what a browser would not (a missing CSRF token, another Origin).
 */
export class ScreenClient {
  private cookie = "";
  /** The CSRF token of the last page that had a form. */
  csrf = "";

  constructor(readonly base: string) {}

  /** A client signed in as `username` through the sign-in form. */
  static async signedIn(base: string, username: string): Promise<ScreenClient> {
    const client = new ScreenClient(base);
    await client.get("/login");
    const answer = await client.post("/login", { username, password: DEMO_PASSWORD });
    if (answer.status !== 303) throw new Error(`sign-in as ${username} answered ${answer.status}`);
    return client;
  }

  async get(path: string): Promise<ScreenAnswer> {
    return this.send(path, { method: "GET" });
  }

  /** Posts a form with this session's CSRF token unless `fields` sets `_csrf` itself. */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = { origin: this.base },
  ): Promise<ScreenAnswer> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields });
    return this.send(path, {
      method: "POST",
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  private async send(path: string, init: RequestInit): Promise<ScreenAnswer> {
    const response = await fetch(new URL(path, this.base), {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookie },
    });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0] ?? "";
    const text = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) this.csrf = csrf;
    return { status: response.status, headers: response.headers, text };
  }
}

/** The text of the element with `id` (its first line of markup is enough for messages). */
export function elementText(page: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(page);
  return match?.[1]?.trim();
}
