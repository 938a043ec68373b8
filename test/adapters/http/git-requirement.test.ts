import { type GitRepositoryRef, gitRequirement, parseGitRequest } from "patkit/http";
import { describe, expect, it } from "vitest";

const repositories: Record<string, GitRepositoryRef> = {
  "/scm/prj/alpha.git": { projectId: "p-1", repositoryId: "r-11" },
  "/scm/prj/naïve repo.git": { projectId: "p-1", repositoryId: "r-12" },
};
const resolve = (path: string) => repositories[path] ?? null;

describe("gitRequirement: the smart-HTTP protocol", () => {
  it.each([
    ["GET", "/scm/prj/alpha.git/info/refs?service=git-upload-pack", "REPO_READ"],
    ["POST", "/scm/prj/alpha.git/git-upload-pack", "REPO_READ"],
    ["GET", "/scm/prj/alpha.git/info/refs?service=git-receive-pack", "REPO_WRITE"],
    ["POST", "/scm/prj/alpha.git/git-receive-pack", "REPO_WRITE"],
    ["HEAD", "/scm/prj/alpha.git/info/refs?service=git-upload-pack", "REPO_READ"],
  ])("%s %s needs %s", (method, url, permission) => {
    expect(gitRequirement(method, url, resolve)).toEqual({
      permission,
      projectId: "p-1",
      repositoryId: "r-11",
    });
  });

  it("reads absolute URLs and URL objects as well as Node's req.url", () => {
    const expected = { permission: "REPO_WRITE", projectId: "p-1", repositoryId: "r-11" };
    const absolute = "https://git.example/scm/prj/alpha.git/git-receive-pack";
    expect(gitRequirement("POST", absolute, resolve)).toEqual(expected);
    expect(gitRequirement("POST", new URL(absolute), resolve)).toEqual(expected);
  });

  it("passes the percent-decoded repository path to the host", () => {
    const url = "/scm/prj/na%C3%AFve%20repo.git/info/refs?service=git-upload-pack";
    expect(gitRequirement("GET", url, resolve)).toMatchObject({ repositoryId: "r-12" });
  });

  it("is null when the host knows no repository at that path", () => {
    expect(
      gitRequirement("GET", "/scm/prj/missing.git/info/refs?service=git-upload-pack", resolve),
    ).toBeNull();
  });

  it("awaits an asynchronous lookup", async () => {
    const lookup = async (path: string) => resolve(path);
    const pending = gitRequirement("POST", "/scm/prj/alpha.git/git-receive-pack", lookup);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual({
      permission: "REPO_WRITE",
      projectId: "p-1",
      repositoryId: "r-11",
    });
    expect(await gitRequirement("POST", "/nope.git/git-receive-pack", lookup)).toBeNull();
  });

  it("gives the host the parsed request too", () => {
    const seen: unknown[] = [];
    gitRequirement(
      "GET",
      "/scm/prj/alpha.git/info/refs?service=git-receive-pack",
      (path, request) => {
        seen.push(path, request.service, request.access);
        return null;
      },
    );
    expect(seen).toEqual(["/scm/prj/alpha.git", "git-receive-pack", "write"]);
  });
});

describe("gitRequirement: the dumb protocol reads", () => {
  it.each([
    "/scm/prj/alpha.git/info/refs",
    "/scm/prj/alpha.git/HEAD",
    "/scm/prj/alpha.git/objects/info/packs",
    "/scm/prj/alpha.git/objects/info/alternates",
    "/scm/prj/alpha.git/objects/info/http-alternates",
    `/scm/prj/alpha.git/objects/ab/${"c".repeat(38)}`,
    `/scm/prj/alpha.git/objects/pack/pack-${"0".repeat(40)}.pack`,
    `/scm/prj/alpha.git/objects/pack/pack-${"f".repeat(40)}.idx`,
    `/scm/prj/alpha.git/objects/pack/pack-${"a".repeat(64)}.pack`,
  ])("GET %s needs REPO_READ", (url) => {
    expect(gitRequirement("GET", url, resolve)).toEqual({
      permission: "REPO_READ",
      projectId: "p-1",
      repositoryId: "r-11",
    });
    expect(parseGitRequest("GET", url)?.service).toBeNull();
  });
});

describe("parseGitRequest: what is not a Git request", () => {
  it.each([
    ["GET", "/scm/prj/alpha.git/info/refs?service=git-upload-archive"],
    ["GET", "/scm/prj/alpha.git/info/refs?service=git-upload-pack&service=git-receive-pack"],
    ["GET", "/scm/prj/alpha.git/git-upload-pack"],
    ["POST", "/scm/prj/alpha.git/info/refs?service=git-upload-pack"],
    ["PUT", "/scm/prj/alpha.git/git-receive-pack"],
    ["DELETE", "/scm/prj/alpha.git/info/refs"],
    ["GET", "/scm/prj/alpha.git/objects/ab/not-hex"],
    ["GET", "/scm/prj/alpha.git/config"],
    ["GET", "/scm/prj/alpha.git/hooks/pre-receive"],
    ["GET", "/info/refs?service=git-upload-pack"],
    ["POST", "/git-receive-pack"],
    ["GET", "/scm//alpha.git/info/refs"],
    ["GET", "/scm/prj%2Falpha.git/info/refs"],
    ["GET", "/scm/prj/..%5Calpha.git/info/refs"],
    ["GET", "/scm/prj/%00.git/info/refs"],
    ["GET", "/scm/prj/%E0%A4%A.git/info/refs"],
    ["GET", "//evil.example/info/refs"],
    ["GET", ""],
    ["GET", "not a url"],
  ])("%s %j is null", (method, url) => {
    expect(parseGitRequest(method, url)).toBeNull();
    expect(gitRequirement(method, url, () => ({ projectId: "p", repositoryId: "r" }))).toBeNull();
  });

  it("never lets dot segments climb out of the repository path", () => {
    const parsed = parseGitRequest("GET", "/scm/prj/../../etc/alpha.git/info/refs");
    expect(parsed?.repositoryPath).toBe("/etc/alpha.git");
    expect(parseGitRequest("GET", "/scm/%2e%2e/alpha.git/info/refs")?.repositoryPath).toBe(
      "/alpha.git",
    );
  });

  it("never throws, whatever it is given", () => {
    for (const method of ["GET", "POST", 42, null, undefined]) {
      for (const url of ["/x.git/info/refs", 42, null, {}, "http://[bad"]) {
        expect(() => parseGitRequest(method as string, url as string)).not.toThrow();
      }
    }
  });

  it("describes a push in full", () => {
    expect(parseGitRequest("POST", "/scm/prj/alpha.git/git-receive-pack")).toEqual({
      repositoryPath: "/scm/prj/alpha.git",
      gitPath: "/git-receive-pack",
      service: "git-receive-pack",
      access: "write",
      permission: "REPO_WRITE",
    });
  });
});
