import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { waitFor } from "../support/fake-upstream.js";
import { buildDist, killAll, removeTempDirs, runCli, spawnCli, tempFile } from "../support/cli-process.js";

// `tollgate keys` and `tollgate usage` as an operator runs them: the compiled CLI in child
// processes, against a gateway started by the same CLI on a real port.

beforeAll(buildDist, 120_000);
afterEach(killAll);
afterAll(removeTempDirs);

const ADMIN = `adm-cli-${randomUUID()}`;

async function startGateway(): Promise<string> {
  const config = tempFile(
    "tollgate.yaml",
    [
      'admin: { keys: ["env:TG_CLI_ADMIN"] }',
      // The simulator's model is priced here so spend is not zero: $1 / $2 per 1M tokens.
      "prices: { sim: { input: 1, output: 2 } }",
      "ledger: { flushIntervalMs: 20 }",
      "providers:",
      "  sim: { type: simulator, ttftMs: 0, tokensPerSecond: 1000, answerTokens: 8 }",
      "models:",
      "  sim: { targets: [{ provider: sim, model: sim }] }",
    ].join("\n"),
  );
  const cli = spawnCli(["start", "--config", config, "--port", "0"], { env: { TG_CLI_ADMIN: ADMIN } });
  const match = await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/);
  expect(cli.stdout()).toContain(`admin API: ${match[1]}/admin`);
  expect(cli.stdout()).not.toContain("WARNING");
  expect(cli.stdout()).not.toContain(ADMIN);
  return match[1]!;
}

const admin = (args: string[], url: string, env: Record<string, string | undefined> = { TOLLGATE_ADMIN_KEY: ADMIN }) => runCli([...args, "--url", url], { env });

const chat = (url: string, apiKey: string) =>
  new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({ model: "sim", messages: [{ role: "user", content: "Say hello" }], max_tokens: 8 });

describe("tollgate keys / usage", () => {
  test("create prints a secret that works, list shows the key, usage prints its spend, revoke disables it", async () => {
    const url = await startGateway();

    const created = await admin(
      [
        "keys",
        "create",
        "--user",
        "alice",
        "--team",
        "red",
        "--name",
        "cli key",
        "--models",
        "sim",
        "--budget",
        "day:5",
        "--budget",
        "month:$50",
        "--rpm",
        "100",
        "--origins",
        "http://127.0.0.1:5173, https://app.example.com",
      ],
      url,
    );
    expect(created).toMatchObject({ code: 0, stderr: "" });
    expect(created.stdout).toMatch(/^ {2}origins http:\/\/127\.0\.0\.1:5173, https:\/\/app\.example\.com$/m);
    const secret = /secret\s+(tg_[0-9A-Za-z]{43})$/m.exec(created.stdout)?.[1];
    const id = /Created key (key_[0-9a-f]{16})\./.exec(created.stdout)?.[1];
    expect(secret, created.stdout).toBeDefined();
    expect(id).toBeDefined();
    expect(created.stdout).toMatch(/shown once/);
    expect(created.stdout).toMatch(/^ {2}limits {2}day \$5, month \$50, rpm 100$/m);

    const answer = await chat(url, secret!);
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);

    const list = await admin(["keys", "list"], url);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    const [header, ...rows] = list.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+USER\s+TEAM\s+PREFIX\s+MODELS\s+LIMITS\s+STATUS\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${id}\\s+cli key\\s+alice\\s+red\\s+${secret!.slice(0, 7)}…\\s+sim\\s+day \\$5, month \\$50, rpm 100\\s+active\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}\\s+-$`));
    // Columns line up: each header starts where its cells do.
    expect(rows[0]!.indexOf("alice")).toBe(header!.indexOf("USER"));
    expect(list.stdout).not.toContain(secret!.slice(7));

    // The ledger writes in the background: wait until the request is in it.
    let usage = await admin(["usage", "--group-by", "user", "--granularity", "hour"], url);
    await waitFor(
      async () => {
        usage = await admin(["usage", "--group-by", "user", "--granularity", "hour"], url);
        return /^alice\s+1\s/m.test(usage.stdout);
      },
      { intervalMs: 100, message: "usage never showed alice's request" },
    );
    expect(usage).toMatchObject({ code: 0, stderr: "" });
    const lines = usage.stdout.split("\n");
    expect(lines[0]).toMatch(/^Usage by user, \d{4}-.*Z to \d{4}-.*Z$/);
    expect(lines).toContainEqual(expect.stringMatching(/^USER\s+REQUESTS\s+INPUT TOKENS\s+OUTPUT TOKENS\s+COST \(USD\)\s+SAVED \(USD\)$/));
    // Tokens as the SDK saw them, and a cost at $1 / $2 per 1M tokens.
    const inTok = answer.usage!.prompt_tokens;
    const outTok = answer.usage!.completion_tokens;
    const costUsd = ((inTok * 1_000 + outTok * 2_000) / 1e9).toFixed(6);
    expect(usage.stdout).toMatch(new RegExp(`^alice\\s+1\\s+${inTok}\\s+${outTok}\\s+${costUsd.replace(".", "\\.")}\\s+0\\.000000$`, "m"));
    expect(usage.stdout).toContain("By hour:");
    expect(usage.stdout).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:00Z\\s+alice\\s+1\\s+${inTok}\\s+${outTok}\\s+${costUsd.replace(".", "\\.")}\\s+0\\.000000$`, "m"));

    const revoked = await admin(["keys", "revoke", id!], url);
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(revoked.stdout).toContain(`Revoked ${id}`);
    await expect(chat(url, secret!)).rejects.toMatchObject({ status: 401 });

    expect((await admin(["keys", "list"], url)).stdout).toContain("No active keys");
    expect((await admin(["keys", "list", "--all"], url)).stdout).toMatch(new RegExp(`^${id}\\s.*\\srevoked\\s`, "m"));
    expect(await admin(["keys", "revoke", "key_0000000000000000"], url)).toMatchObject({ code: 1, stderr: expect.stringContaining('No key with id "key_0000000000000000"') });
  });

  test("API and connection errors print the message and exit 1; usage errors exit 2", async () => {
    const url = await startGateway();

    const wrong = await admin(["keys", "list"], url, { TOLLGATE_ADMIN_KEY: `${ADMIN}-wrong` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("Invalid admin key.");
    expect(wrong.stderr).not.toContain(ADMIN);
    expect(wrong.stdout).toBe("");

    const flag = await runCli(["keys", "list", "--url", url, "--admin-key", ADMIN], { env: { TOLLGATE_ADMIN_KEY: undefined } });
    expect(flag.code).toBe(0);

    const badField = await admin(["keys", "create", "--user", "bob", "--models", "nope"], url);
    expect(badField.code).toBe(1);
    expect(badField.stderr).toMatch(/allowed_models\[0\].*unknown model "nope"/);

    const badRange = await admin(["usage", "--from", "yesterday"], url);
    expect(badRange.code).toBe(1);
    expect(badRange.stderr).toContain("Invalid value for from");

    const noKey = await admin(["keys", "list"], url, { TOLLGATE_ADMIN_KEY: undefined });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("TOLLGATE_ADMIN_KEY");

    const noUser = await admin(["keys", "create"], url);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain("--user");

    const badBudget = await admin(["keys", "create", "--user", "a", "--budget", "week:5"], url);
    expect(badBudget.code).toBe(2);
    expect(badBudget.stderr).toContain('--budget "week:5"');

    const unreachable = await runCli(["keys", "list", "--url", "http://127.0.0.1:1"], { env: { TOLLGATE_ADMIN_KEY: ADMIN } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("Cannot reach the gateway at http://127.0.0.1:1");
  });
});
