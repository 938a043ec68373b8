import type {
  HostAccess,
  Permission,
  ProjectPermission,
  RepositoryPermission,
  Resource,
} from "patkit";
import type { GitRepositoryRef } from "patkit/http";

/** A user of the demo host. Ids are stable; usernames are what people type. */
export interface DemoUser {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  active: boolean;
  readonly systemAdmin: boolean;
}

/** A project: a key people type (PRJ) and a stable id. */
export interface DemoProject {
  readonly id: string;
  readonly key: string;
  readonly name: string;
}

/** A repository in a project: a slug people type and a stable id. */
export interface DemoRepository {
  readonly id: string;
  readonly projectId: string;
  readonly slug: string;
}

const RANK: Record<Permission, number> = {
  PROJECT_READ: 1,
  PROJECT_WRITE: 2,
  PROJECT_ADMIN: 3,
  REPO_READ: 1,
  REPO_WRITE: 2,
  REPO_ADMIN: 3,
};

/**
 * The host application's own model, the part patkit does not own: users, projects,
 * repositories and who may do what. A real host asks its database; the demo keeps it in memory
 * and seeds it at start. Project permissions imply the same level on the project's repositories
 * (as in Bitbucket); system admins may do everything; inactive users nothing.
 */
export class DemoHost {
  readonly users = new Map<string, DemoUser>();
  readonly projects = new Map<string, DemoProject>();
  readonly repositories = new Map<string, DemoRepository>();
  private readonly projectGrants = new Map<string, Map<string, ProjectPermission>>();
  private readonly repositoryGrants = new Map<string, Map<string, RepositoryPermission>>();

  addUser(user: DemoUser): DemoUser {
    this.users.set(user.id, user);
    return user;
  }

  addProject(project: DemoProject): DemoProject {
    this.projects.set(project.id, project);
    return project;
  }

  addRepository(repository: DemoRepository): DemoRepository {
    this.repositories.set(repository.id, repository);
    return repository;
  }

  /** Grants (or, with `null`, removes) a user's permission on a project. */
  setProjectPermission(userId: string, projectId: string, level: ProjectPermission | null): void {
    setGrant(this.projectGrants, userId, projectId, level);
  }

  /** Grants (or, with `null`, removes) a user's permission on one repository. */
  setRepositoryPermission(
    userId: string,
    repositoryId: string,
    level: RepositoryPermission | null,
  ): void {
    setGrant(this.repositoryGrants, userId, repositoryId, level);
  }

  setActive(userId: string, active: boolean): void {
    const user = this.users.get(userId);
    if (user) user.active = active;
  }

  userByName(username: string): DemoUser | undefined {
    for (const user of this.users.values()) if (user.username === username) return user;
    return undefined;
  }

  projectByKey(key: string): DemoProject | undefined {
    const wanted = key.toUpperCase();
    for (const project of this.projects.values()) if (project.key === wanted) return project;
    return undefined;
  }

  repositoryBySlug(projectId: string, slug: string): DemoRepository | undefined {
    for (const repository of this.repositories.values()) {
      if (repository.projectId === projectId && repository.slug === slug) return repository;
    }
    return undefined;
  }

  /** The clone URL path of a repository: `/scm/<project key in lower case>/<slug>.git`. */
  clonePath(repository: DemoRepository): string {
    return `/scm/${this.projectOf(repository).key.toLowerCase()}/${repository.slug}.git`;
  }

  /** Where `git http-backend` finds the repository under its project root. */
  backendPath(repository: DemoRepository): string {
    return `/${this.projectOf(repository).key.toLowerCase()}/${repository.slug}.git`;
  }

  /** The Git lookup patkit/http's `gitRequirement` asks for: `/scm/prj/alpha.git` to its ids. */
  resolveRepository(
    repositoryPath: string,
  ): (GitRepositoryRef & { repository: DemoRepository }) | null {
    const match = /^\/scm\/([^/]+)\/([^/]+)\.git$/.exec(repositoryPath);
    if (!match?.[1] || !match[2]) return null;
    const project = this.projectByKey(match[1]);
    const repository = project && this.repositoryBySlug(project.id, match[2]);
    if (!project || !repository) return null;
    return { projectId: project.id, repositoryId: repository.id, repository };
  }

  private projectOf(repository: DemoRepository): DemoProject {
    const project = this.projects.get(repository.projectId);
    if (!project) throw new Error(`Repository ${repository.id} has no project`);
    return project;
  }

  /** The host's answers patkit asks for at every verification and management call. */
  readonly access: HostAccess = {
    hasPermission: (userId, permission, resource) =>
      this.hasPermission(userId, permission, resource),
    isSystemAdmin: (userId) => {
      const user = this.users.get(userId);
      return user?.active === true && user.systemAdmin;
    },
    isActiveUser: (userId) => this.users.get(userId)?.active === true,
    usernameOf: (userId) => this.users.get(userId)?.username ?? "",
    // Repository ids are unique across projects here: patkit checks every repository
    // requirement's project against this answer.
    projectOfRepository: (repositoryId) => this.repositories.get(repositoryId)?.projectId ?? null,
  };

  private hasPermission(userId: string, permission: Permission, resource: Resource): boolean {
    const user = this.users.get(userId);
    if (!user?.active || !this.projects.has(resource.projectId)) return false;
    if (resource.repositoryId !== undefined) {
      const repository = this.repositories.get(resource.repositoryId);
      if (repository?.projectId !== resource.projectId) return false;
    }
    if (user.systemAdmin) return true;
    const projectLevel = this.projectGrants.get(userId)?.get(resource.projectId);
    let held = projectLevel ? RANK[projectLevel] : 0;
    if (!permission.startsWith("PROJECT_") && resource.repositoryId !== undefined) {
      const repositoryLevel = this.repositoryGrants.get(userId)?.get(resource.repositoryId);
      if (repositoryLevel) held = Math.max(held, RANK[repositoryLevel]);
    }
    return held >= RANK[permission];
  }
}

function setGrant<L>(
  grants: Map<string, Map<string, L>>,
  userId: string,
  key: string,
  level: L | null,
) {
  let byKey = grants.get(userId);
  if (!byKey) {
    byKey = new Map();
    grants.set(userId, byKey);
  }
  if (level === null) byKey.delete(key);
  else byKey.set(key, level);
}

/** The demo's cast, by username. */
export interface DemoCast {
  readonly alice: DemoUser;
  readonly bob: DemoUser;
  readonly carol: DemoUser;
  readonly dave: DemoUser;
  readonly erin: DemoUser;
  readonly prj: DemoProject;
  readonly ops: DemoProject;
  readonly alpha: DemoRepository;
  readonly beta: DemoRepository;
  readonly infra: DemoRepository;
}

/**
 * Seeds the host: alice administers project PRJ, bob reads it, erin writes to PRJ/alpha only,
 * carol is a system admin, dave is inactive (he could write to PRJ); project OPS holds infra.
 */
export function seedDemoHost(host: DemoHost = new DemoHost()): { host: DemoHost; cast: DemoCast } {
  const user = (id: string, username: string, displayName: string, extra: Partial<DemoUser> = {}) =>
    host.addUser({ id, username, displayName, active: true, systemAdmin: false, ...extra });
  const alice = user("u-1001", "alice", "Alice Admin");
  const bob = user("u-1002", "bob", "Bob Reader");
  const carol = user("u-1003", "carol", "Carol Sysadmin", { systemAdmin: true });
  const dave = user("u-1004", "dave", "Dave Departed", { active: false });
  const erin = user("u-1005", "erin", "Erin Contributor");
  const prj = host.addProject({ id: "p-1", key: "PRJ", name: "Demo project" });
  const ops = host.addProject({ id: "p-2", key: "OPS", name: "Operations" });
  const alpha = host.addRepository({ id: "r-11", projectId: prj.id, slug: "alpha" });
  const beta = host.addRepository({ id: "r-12", projectId: prj.id, slug: "beta" });
  const infra = host.addRepository({ id: "r-21", projectId: ops.id, slug: "infra" });
  host.setProjectPermission(alice.id, prj.id, "PROJECT_ADMIN");
  host.setProjectPermission(bob.id, prj.id, "PROJECT_READ");
  host.setProjectPermission(dave.id, prj.id, "PROJECT_WRITE");
  host.setRepositoryPermission(erin.id, alpha.id, "REPO_WRITE");
  return { host, cast: { alice, bob, carol, dave, erin, prj, ops, alpha, beta, infra } };
}
