import type { Owner } from "patkit";
import type { DemoHost } from "../demo-host.js";
import type { Viewer } from "./layout.js";

/** A link of a breadcrumb trail. */
export interface Crumb {
  readonly href: string;
  readonly label: string;
}

/**
 * One "HTTP access tokens" screen: whose tokens it manages and where it lives. The same screens
 * serve a user's own page, a project's and a repository's settings, and the administration's
 * view of a user (which has no create button: nobody creates tokens for someone else).
 */
export interface TokenArea {
  readonly owner: Owner;
  /** The list's path; the other screens are below it (`/new`, `/{id}/edit`, `/{id}/revoke`). */
  readonly basePath: string;
  /** The navigation entry the area belongs to. */
  readonly section: string;
  readonly heading: string;
  readonly trail: readonly Crumb[];
  readonly intro: string;
  readonly canCreate: boolean;
  /** Who holds the tokens, as the start of a sentence: "You", "Project PRJ", ... */
  readonly holder: string;
  /** Project tokens offer a project permission; repository tokens do not. */
  readonly offersProjectPermission: boolean;
  /** How the owner's tokens are used, for the page that shows a new secret. */
  readonly usage: string;
}

/** An area and the path segments below its list (`[]`, `["new"]`, `[id, "edit"]`, ...). */
export interface AreaMatch {
  readonly area: TokenArea;
  readonly rest: readonly string[];
}

/** Why an area cannot be shown: it does not exist, or the viewer may not see it. */
export type AreaRefusal = { readonly refused: 404 | 403; readonly message: string };

/**
 * Finds the token area a path names, checking what the host itself would check before showing a
 * settings page (patkit checks each call again): `null` when the path is not an area's.
 */
export async function findArea(
  segments: readonly string[],
  viewer: Viewer,
  host: DemoHost,
): Promise<AreaMatch | AreaRefusal | null> {
  const [first, second, third, fourth, fifth, sixth] = segments;
  if (first === "account" && second === "tokens") {
    return { area: personalArea(viewer), rest: segments.slice(2) };
  }
  if (first === "admin" && second === "users" && third !== undefined && fourth === "tokens") {
    if (!viewer.isSystemAdmin)
      return { refused: 403, message: "Only system admins see this page." };
    const user = host.userByName(third);
    if (!user) return { refused: 404, message: `There is no user ${third}.` };
    return {
      area: {
        owner: { kind: "user", userId: user.id },
        basePath: `/admin/users/${encodeURIComponent(user.username)}/tokens`,
        section: "/admin",
        heading: `HTTP access tokens of ${user.displayName} (${user.username})`,
        trail: [
          { href: "/admin", label: "Administration" },
          { href: "/admin/users", label: "Users" },
        ],
        intro: `${user.username}'s personal tokens. You can edit and revoke them; only ${user.username} can create them.`,
        canCreate: false,
        holder: user.username,
        offersProjectPermission: true,
        usage: "",
      },
      rest: segments.slice(4),
    };
  }
  if (first !== "projects" || second === undefined) return null;
  const project = host.projectByKey(second);
  if (third === "settings" && fourth === "tokens") {
    if (!project) return { refused: 404, message: `There is no project ${second}.` };
    const resource = { projectId: project.id };
    if (!(await host.access.hasPermission(viewer.user.id, "PROJECT_ADMIN", resource))) {
      return { refused: 403, message: `Only admins of project ${project.key} see its settings.` };
    }
    return {
      area: {
        owner: { kind: "project", projectId: project.id },
        basePath: `/projects/${project.key}/settings/tokens`,
        section: "/projects",
        heading: "HTTP access tokens",
        trail: [
          { href: "/projects", label: "Projects" },
          {
            href: `/projects/${project.key}/settings/tokens`,
            label: `${project.name} (${project.key}): project settings`,
          },
        ],
        intro: `Tokens of project ${project.key}: they reach the project and every repository in it, over Bearer authentication.`,
        canCreate: true,
        holder: `Project ${project.key}`,
        offersProjectPermission: true,
        usage: "Send it as Authorization: Bearer <token> (for Git: git -c http.extraHeader=...).",
      },
      rest: segments.slice(4),
    };
  }
  if (third === "repos" && fourth !== undefined && fifth === "settings" && sixth === "tokens") {
    const repository = project ? host.repositoryBySlug(project.id, fourth) : undefined;
    if (!project || !repository) {
      return { refused: 404, message: `There is no repository ${second}/${fourth}.` };
    }
    const resource = { projectId: project.id, repositoryId: repository.id };
    if (!(await host.access.hasPermission(viewer.user.id, "REPO_ADMIN", resource))) {
      return {
        refused: 403,
        message: `Only admins of ${project.key}/${repository.slug} see its settings.`,
      };
    }
    const basePath = `/projects/${project.key}/repos/${repository.slug}/settings/tokens`;
    return {
      area: {
        owner: { kind: "repository", projectId: project.id, repositoryId: repository.id },
        basePath,
        section: "/projects",
        heading: "HTTP access tokens",
        trail: [
          { href: "/projects", label: "Projects" },
          { href: basePath, label: `${project.key}/${repository.slug}: repository settings` },
        ],
        intro: `Tokens of repository ${project.key}/${repository.slug}: they reach this repository only, over Bearer authentication, and carry no project permission.`,
        canCreate: true,
        holder: `Repository ${project.key}/${repository.slug}`,
        offersProjectPermission: false,
        usage: "Send it as Authorization: Bearer <token> (for Git: git -c http.extraHeader=...).",
      },
      rest: segments.slice(6),
    };
  }
  return null;
}

function personalArea(viewer: Viewer): TokenArea {
  return {
    owner: { kind: "user", userId: viewer.user.id },
    basePath: "/account/tokens",
    section: "/account/tokens",
    heading: "HTTP access tokens",
    trail: [{ href: "/account/tokens", label: `${viewer.user.displayName}: account` }],
    intro:
      "Personal tokens act as you, in Git and REST clients, with at most the permissions you give them and never more than you have.",
    canCreate: true,
    holder: "You",
    offersProjectPermission: true,
    usage: `Use it as the password of Git over HTTP(S) with the username ${viewer.user.username}, or as Authorization: Bearer <token>.`,
  };
}
