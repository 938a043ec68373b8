import { describe, expect, it } from "vitest";
import {
  canonicalPermissions,
  levelsOf,
  levelsSatisfy,
  permissionProblems,
} from "../../src/core/permissions.js";

describe("permission sets", () => {
  it("accepts one repository level alone or with a project level not above it", () => {
    expect(permissionProblems(["REPO_READ"], "user")).toEqual([]);
    expect(permissionProblems(["PROJECT_READ", "REPO_READ"], "user")).toEqual([]);
    expect(permissionProblems(["PROJECT_WRITE", "REPO_ADMIN"], "project")).toEqual([]);
    expect(permissionProblems(["PROJECT_ADMIN", "REPO_ADMIN"], "project")).toEqual([]);
  });

  it("refuses a repository level below the project level", () => {
    expect(permissionProblems(["PROJECT_WRITE", "REPO_READ"], "user")).toHaveLength(1);
    expect(permissionProblems(["PROJECT_ADMIN", "REPO_WRITE"], "project")).toHaveLength(1);
  });

  it("refuses a set without a repository level, or with two of one scope", () => {
    expect(permissionProblems(["PROJECT_READ"], "user")).not.toEqual([]);
    expect(permissionProblems(["REPO_READ", "REPO_WRITE"], "user")).not.toEqual([]);
    expect(permissionProblems(["PROJECT_READ", "PROJECT_WRITE", "REPO_ADMIN"], "user")).not.toEqual(
      [],
    );
  });

  it("refuses a project level on a repository token", () => {
    expect(permissionProblems(["PROJECT_READ", "REPO_READ"], "repository")).not.toEqual([]);
    expect(permissionProblems(["REPO_ADMIN"], "repository")).toEqual([]);
  });

  it("orders the project level first", () => {
    expect(canonicalPermissions(["REPO_WRITE", "PROJECT_READ"])).toEqual([
      "PROJECT_READ",
      "REPO_WRITE",
    ]);
  });

  it("orders levels READ < WRITE < ADMIN within each scope only", () => {
    const levels = levelsOf(["PROJECT_READ", "REPO_WRITE"]);
    expect(levelsSatisfy(levels, "REPO_READ")).toBe(true);
    expect(levelsSatisfy(levels, "REPO_WRITE")).toBe(true);
    expect(levelsSatisfy(levels, "REPO_ADMIN")).toBe(false);
    expect(levelsSatisfy(levels, "PROJECT_READ")).toBe(true);
    expect(levelsSatisfy(levels, "PROJECT_WRITE")).toBe(false);
    expect(levelsSatisfy(levelsOf(["REPO_ADMIN"]), "PROJECT_READ")).toBe(false);
  });
});
