/**
 * Runs the built CLI (dist/cli/main.js) as a real child process: output is collected
 * as it arrives, waits are on output or exit with bounded timeouts, and every process
 * started here can be killed by `killAll()` (call it in afterEach).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI_ENTRY = path.join(REPO_ROOT, "dist/cli/main.js");

/** Runs tsc -p tsconfig.build.json. */
function compile(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: REPO_ROOT }, (err, stdout, stderr) => {
      if (err) reject(new Error(`build failed:\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

const STAMP_FILE = path.join(REPO_ROOT, "dist/.build-stamp");
const BUILD_LOCK = path.join(tmpdir(), `tollgate-build-${createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 12)}.lock`);
const STALE_LOCK_MS = 180_000;

/** What the build depends on: every source file's path, size and mtime, and the build configs. */
function sourceStamp(): string {
  const hash = createHash("sha256");
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else {
        const stat = statSync(file);
        hash.update(`${path.relative(REPO_ROOT, file)}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  };
  visit(path.join(REPO_ROOT, "src"));
  for (const f of ["tsconfig.json", "tsconfig.build.json", "package.json"]) hash.update(`${f}:${readFileSync(path.join(REPO_ROOT, f), "utf8")}\n`);
  return hash.digest("hex");
}

/** A cross-process lock (mkdir is atomic); a lock older than STALE_LOCK_MS is from a crashed run. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        if (Date.now() - statSync(BUILD_LOCK).mtimeMs > STALE_LOCK_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/**
 * Compiles src/ into dist/ (tsconfig.build.json), so the CLI under test is never a stale
 * build. Test files run in parallel workers: builds take turns, and a build of unchanged
 * sources is skipped, so no file rewrites dist/ while another one's CLI processes load it.
 */
export function buildDist(): Promise<void> {
  return withBuildLock(async () => {
    const stamp = sourceStamp();
    if (existsSync(CLI_ENTRY) && existsSync(STAMP_FILE) && readFileSync(STAMP_FILE, "utf8") === stamp) return;
    rmSync(STAMP_FILE, { force: true });
    await compile();
    writeFileSync(STAMP_FILE, stamp);
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The same on stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited and its output is read; rejects after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<Exit>;
}

const started = new Set<ChildProcess>();

/**
 * Every wait here is on an event (output, exit); this bound only turns a hang into a failure
 * that shows the process's output. A CLI process loads the whole gateway (~0.9 s of CPU
 * alone), so on a machine busy with other work its start can take many seconds: the bound
 * must be far above that, never an expectation of speed.
 */
const SAFETY_MS = 60_000;

/** Rejects with `message` (and the process output) if `promise` has not settled after `ms`. */
function bounded<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts `node dist/cli/main.js ...args` in `cwd` (default: a fresh empty directory, so no local tollgate.config.* is picked up). */
export function spawnCli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): CliProcess {
  const cwd = options.cwd ?? tempDir();
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  started.add(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  // "close" rather than "exit": it comes after both pipes are drained, so the output is complete.
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    });
  });
  const describe = () => `\n--- stdout ---\n${out}\n--- stderr ---\n${err}`;
  const waitForOutput = (name: "stdout" | "stderr", pattern: RegExp, timeoutMs: number) => {
    const stream = child[name]!;
    const text = () => (name === "stdout" ? out : err);
    const found = new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text());
        if (!match) return false;
        stream.off("data", check);
        resolve(match);
        return true;
      };
      if (check()) return;
      stream.on("data", check);
      void exited.then(() => {
        if (!check()) reject(new Error(`process exited before printing ${pattern}${describe()}`));
      });
    });
    return bounded(found, timeoutMs, () => `no ${pattern} on ${name} after ${timeoutMs} ms${describe()}`);
  };

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStdout: (pattern, timeoutMs = SAFETY_MS) => waitForOutput("stdout", pattern, timeoutMs),
    waitForStderr: (pattern, timeoutMs = SAFETY_MS) => waitForOutput("stderr", pattern, timeoutMs),
    exit(timeoutMs = SAFETY_MS) {
      return bounded(exited, timeoutMs, () => `process still running after ${timeoutMs} ms${describe()}`);
    },
  };
}

/** Runs the CLI to completion and returns its exit and output. */
export async function runCli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const cli = spawnCli(args, options);
  const exit = await cli.exit(options.timeoutMs);
  return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** SIGKILLs every process started here that is still running, and waits for each to exit. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
  started.clear();
}

const dirs: string[] = [];

/** A fresh empty directory under the OS temp dir, removed by `removeTempDirs()`. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tollgate-cli-"));
  dirs.push(dir);
  return dir;
}

/** Writes `text` to `name` in a fresh temp directory and returns its path. */
export function tempFile(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
