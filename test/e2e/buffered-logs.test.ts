import { execFile } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { buildDist, killAll, REPO_ROOT, removeTempDirs, spawnCli, tempFile } from "../support/cli-process.js";

// The default logger holds lines for up to ~4 KB / 100 ms: none may be lost when the process
// ends any way but SIGKILL. Run on the built code, in child processes.

beforeAll(buildDist, 120_000);
afterEach(killAll);
afterAll(removeTempDirs);

const LOGGER = pathToFileURL(path.join(REPO_ROOT, "dist/observability/logger.js")).href;

/** Runs `ending` in a node process after it logged three request lines through the default destination; its stderr. */
function logThenEnd(ending: string): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { createLogger, lineWriterOf, logDestination } = await import(${JSON.stringify(LOGGER)});
    const logger = createLogger("info", logDestination(4096));
    for (const id of ["req_1", "req_2", "req_3"]) lineWriterOf(logger)("info", '"request_id":"' + id + '"', "request");
    ${ending}`;
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err?.killed) reject(new Error(`still running after 60 s: ${stderr}`));
      else resolve({ code: child.exitCode, stderr });
    });
  });
}
const requestIds = (stderr: string) => [...stderr.matchAll(/"request_id":"(req_\d+)"/g)].map((m) => m[1]);

describe("lines pending when the process ends", () => {
  test("process.exit(): written by the exit handler", async () => {
    const { code, stderr } = await logThenEnd("process.exit(3);");
    expect(code).toBe(3);
    expect(requestIds(stderr)).toEqual(["req_1", "req_2", "req_3"]);
  });

  test("the event loop running dry: written", async () => {
    const { code, stderr } = await logThenEnd("");
    expect(code).toBe(0);
    expect(requestIds(stderr)).toEqual(["req_1", "req_2", "req_3"]);
  });

  test("an uncaught exception: written before Node prints it", async () => {
    const { code, stderr } = await logThenEnd('setImmediate(() => { throw new Error("boom"); });');
    expect(code).toBe(1);
    expect(requestIds(stderr)).toEqual(["req_1", "req_2", "req_3"]);
    expect(stderr.indexOf("req_3")).toBeLessThan(stderr.indexOf("Error: boom"));
  });

  test("a fatal line: written at once with the lines before it (then SIGKILL)", async () => {
    const { stderr } = await logThenEnd('logger.fatal({ request_id: "req_4" }, "fatal"); process.kill(process.pid, "SIGKILL");');
    expect(requestIds(stderr)).toEqual(["req_1", "req_2", "req_3", "req_4"]);
  });
});

describe("tollgate start, stopped with SIGTERM", () => {
  test("every request's line is on stderr", async () => {
    const config = tempFile(
      "fast.yaml",
      ["providers:", "  sim: { type: simulator, ttftMs: 0, tokensPerSecond: 100000, answerTokens: 5 }", "routes:", "  sim: { targets: [{ provider: sim, model: sim }] }"].join("\n"),
    );
    const cli = spawnCli(["start", "--config", config, "--port", "0"]);
    const url = (await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const stream = i % 2 === 0;
      const res = await request(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "sim", stream, messages: [{ role: "user", content: `question ${i}` }] }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      ids.push(String(res.headers["x-request-id"]));
    }
    cli.child.kill("SIGTERM");
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
    const logged = cli
      .stderr()
      .split("\n")
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => (JSON.parse(l) as { request_id: string }).request_id);
    expect(logged.sort()).toEqual(ids.sort());
  });
});
