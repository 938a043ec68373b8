import type { IncomingMessage, ServerResponse } from "node:http";
import type { Html } from "./html.js";

/**
 * What the browser may do with the demo's pages: scripts and styles from this origin only (no
 * inline script, so an injected `<script>` does not run), forms posting to this origin only, no
 * framing, no plugins. Every UI response carries it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

function setSecurityHeaders(response: ServerResponse): void {
  response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  response.setHeader("X-Content-Type-Options", "nosniff");
  response.setHeader("X-Frame-Options", "DENY");
  // Not "no-referrer": with it, browsers send `Origin: null` on form posts and the origin check fails.
  response.setHeader("Referrer-Policy", "same-origin");
}

/**
 * Answers with an HTML page. Pages show tokens, and one shows a secret: none may be kept by the
 * browser or a proxy (`no-store`), so Back after signing out shows nothing.
 */
export function sendPage(response: ServerResponse, status: number, page: Html): void {
  setSecurityHeaders(response);
  response.statusCode = status;
  response.setHeader("Content-Type", "text/html; charset=utf-8");
  response.setHeader("Cache-Control", "no-store");
  response.end(page.text);
}

/** A 303 See Other: after a successful post, the browser fetches `location` with GET. */
export function redirect(response: ServerResponse, location: string, cookie?: string): void {
  setSecurityHeaders(response);
  if (cookie !== undefined) response.setHeader("Set-Cookie", cookie);
  response.statusCode = 303;
  response.setHeader("Location", location);
  response.setHeader("Cache-Control", "no-store");
  response.end();
}

/** Answers with a static asset (the stylesheet, the script), cacheable for a short while. */
export function sendAsset(response: ServerResponse, contentType: string, body: string): void {
  setSecurityHeaders(response);
  response.statusCode = 200;
  response.setHeader("Content-Type", contentType);
  response.setHeader("Cache-Control", "max-age=300");
  response.end(body);
}

const MAX_FORM_BYTES = 16 * 1024;

/** A posted form (`application/x-www-form-urlencoded`); `null` when it is too large or not a form. */
export async function readForm(request: IncomingMessage): Promise<URLSearchParams | null> {
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    request.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) {
      request.resume();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Whether a request comes from a page of this origin. Browsers send `Origin` with every POST;
 * a different one is a cross-site form, refused before its CSRF token is even looked at.
 * (`Sec-Fetch-Site` says the same in current browsers.)
 */
export function isSameOrigin(request: IncomingMessage): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${request.headers.host}`;
}
