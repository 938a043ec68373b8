import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** The machine and the software versions a run was measured with. */
export interface Environment {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly loadAverage: string;
  readonly versions: Record<string, string>;
}

export function describeMachine(): Omit<Environment, "versions"> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osName()} (${os.type()} ${os.release()}, ${os.arch()})`,
    loadAverage: os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(" / "),
  };
}

function osName(): string {
  try {
    const release = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

/** The installed version of a package (read from the project's node_modules), or "not installed". */
export function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

/** patkit's own version, with the commit it was measured at when git is at hand. */
export function patkitVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: new URL("..", import.meta.url),
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], {
      cwd: new URL("..", import.meta.url),
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    return `${pkg.version} (${commit}${dirty ? ", src modified" : ""})`;
  } catch {
    return pkg.version;
  }
}
