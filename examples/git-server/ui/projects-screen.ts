import type { DemoHost } from "../demo-host.js";
import { type Html, html } from "./html.js";
import { layout, type Viewer } from "./layout.js";

/**
 * The projects and repositories the viewer can see, each with a link to its settings'
 * "HTTP access tokens" where the viewer is an admin (the host decides who sees what).
 */
export async function projectsPage(viewer: Viewer, host: DemoHost): Promise<Html> {
  const can = (
    permission: "PROJECT_READ" | "PROJECT_ADMIN" | "REPO_READ" | "REPO_ADMIN",
    projectId: string,
    repositoryId?: string,
  ) =>
    host.access.hasPermission(
      viewer.user.id,
      permission,
      repositoryId ? { projectId, repositoryId } : { projectId },
    );
  const sections: Html[] = [];
  for (const project of host.projects.values()) {
    const repositories: Html[] = [];
    for (const repository of host.repositories.values()) {
      if (
        repository.projectId !== project.id ||
        !(await can("REPO_READ", project.id, repository.id))
      )
        continue;
      const admin = await can("REPO_ADMIN", project.id, repository.id);
      repositories.push(html`<li><code>${project.key}/${repository.slug}</code>
        ${admin ? html`· <a href="/projects/${project.key}/repos/${repository.slug}/settings/tokens">Repository settings: HTTP access tokens</a>` : ""}</li>`);
    }
    if (repositories.length === 0 && !(await can("PROJECT_READ", project.id))) continue;
    const admin = await can("PROJECT_ADMIN", project.id);
    sections.push(html`<section aria-labelledby="project-${project.key}">
      <h2 id="project-${project.key}">${project.name} (${project.key})</h2>
      ${admin ? html`<p><a href="/projects/${project.key}/settings/tokens">Project settings: HTTP access tokens</a></p>` : ""}
      <ul>${repositories}</ul>
    </section>`);
  }
  return layout({
    title: "Projects",
    viewer,
    current: "/projects",
    body: html`<h1>Projects</h1>${sections.length > 0 ? sections : html`<p class="empty">You cannot see any project.</p>`}`,
  });
}
