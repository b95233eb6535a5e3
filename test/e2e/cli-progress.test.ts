import { randomUUID } from "node:crypto";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { buildDist, killAll, removeTempDirs, runCli, spawnCli, tempDir, tempFile } from "../support/cli-process.js";
import { parsePrometheusText, sumOf } from "../support/prometheus-text.js";

// Progress on stderr, logs on stderr, answers on stdout: as an operator sees them from the compiled CLI.

beforeAll(buildDist, 120_000);
afterEach(killAll);
afterAll(removeTempDirs);

const ADMIN = `adm-progress-${randomUUID()}`;
const CLIENT = `client-progress-${randomUUID()}`;
const PLAIN = { TOLLGATE_PROGRESS: "plain" };

function configFile(): string {
  return tempFile(
    "tollgate.yaml",
    [
      'admin: { keys: ["env:TG_PROGRESS_ADMIN"] }',
      'auth: { keys: ["env:TG_PROGRESS_CLIENT"] }',
      "ledger: { flushIntervalMs: 20 }",
      "providers:",
      "  sim: { type: simulator, ttftMs: 0, tokensPerSecond: 1000, answerTokens: 8 }",
      "routes:",
      "  sim: { targets: [{ provider: sim, model: sim }] }",
    ].join("\n"),
  );
}

describe("CLI progress and logs", () => {
  test("start: migration progress and request logs on stderr, the banner alone on stdout; usage --json: clean JSON on stdout", async () => {
    // A fresh SQLite file: the migrations really run.
    const cli = spawnCli(["start", "--config", configFile(), "--port", "0"], { cwd: tempDir(), env: { ...PLAIN, TG_PROGRESS_ADMIN: ADMIN, TG_PROGRESS_CLIENT: CLIENT } });
    // Generous: a loaded CI machine can take seconds to load the gateway's modules.
    const url = (await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    expect(cli.stderr()).toMatch(/^Opening the database and applying migrations\.\.\.\ndone: Opening the database and applying migrations in \d+\.\ds\n/);
    expect(cli.stdout()).not.toContain("Opening");

    const res = await request(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT}` },
      body: JSON.stringify({ model: "sim", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const id = res.headers["x-request-id"] as string;
    const line = (await cli.waitForStderr(new RegExp(`^\\{.*"request_id":"${id}".*\\}$`, "m")))[0];
    expect(JSON.parse(line)).toMatchObject({ level: 30, msg: "request", request_id: id, route: "sim", provider: "sim", status: 200, outcome: "complete", attempts: 1, cache_hit: false });
    expect(cli.stderr()).not.toContain(CLIENT);

    const metrics = await request(`${url}/metrics`);
    expect(metrics.statusCode).toBe(200);
    expect(sumOf(parsePrometheusText(await metrics.body.text()), "tollgate_requests_total", { route: "sim", status: "200" })).toBe(1);

    const usage = await runCli(["usage", "--json", "--url", url], { env: { ...PLAIN, TOLLGATE_ADMIN_KEY: ADMIN } });
    expect(usage.code).toBe(0);
    expect(JSON.parse(usage.stdout)).toMatchObject({ group_by: "model" });
    expect(usage.stderr).toMatch(/^Computing the usage report\.\.\.\ndone: Computing the usage report in \d+\.\ds\n$/);

    // Unforced and quick: nothing on stderr.
    const quiet = await runCli(["usage", "--json", "--url", url], { env: { TOLLGATE_ADMIN_KEY: ADMIN } });
    expect(quiet).toMatchObject({ code: 0, stderr: "" });
  }, 60_000);

  test("a failed step says so before the error", async () => {
    const unreachable = await runCli(["usage", "--url", "http://127.0.0.1:1"], { env: { ...PLAIN, TOLLGATE_ADMIN_KEY: ADMIN } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^Computing the usage report\.\.\.\nfailed: Computing the usage report in \d+\.\ds\nCannot reach the gateway/);
    expect(unreachable.stdout).toBe("");
  });
});
