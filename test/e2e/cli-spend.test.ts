import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { verifySignature } from "../../src/alerts/signature.js";
import { webhookReceiver } from "../../src/alerts/test-support/webhook-receiver.js";
import { waitFor } from "../support/fake-upstream.js";
import { buildDist, killAll, removeTempDirs, runCli, spawnCli, tempFile } from "../support/cli-process.js";

// `tollgate reprice` and `tollgate alerts test` as an operator runs them: the compiled CLI
// against a gateway started by the same CLI, with a webhook receiver on 127.0.0.1.

beforeAll(buildDist, 120_000);
afterEach(killAll);
afterAll(removeTempDirs);

const ADMIN = `adm-spend-${randomUUID()}`;
const SECRET = `whsec-${randomUUID()}`;

async function startGateway(hookUrl: string): Promise<string> {
  const config = tempFile(
    "tollgate.yaml",
    [
      'admin: { keys: ["env:TG_SPEND_ADMIN"] }',
      "prices: { sim: { input: 1, output: 2 } }",
      "ledger: { flushIntervalMs: 20 }",
      "alerts:",
      "  webhooks:",
      '    ops: { url: "env:TG_SPEND_HOOK", secret: "env:TG_SPEND_SECRET" }',
      "  rules: [{ id: ledger, kind: ledger_spooling }]",
      "providers:",
      "  sim: { type: simulator, ttftMs: 0, tokensPerSecond: 1000, answerTokens: 8 }",
      "models:",
      "  sim: { targets: [{ provider: sim, model: sim }] }",
    ].join("\n"),
  );
  const cli = spawnCli(["start", "--config", config, "--port", "0"], { env: { TG_SPEND_ADMIN: ADMIN, TG_SPEND_HOOK: hookUrl, TG_SPEND_SECRET: SECRET } });
  const match = await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/);
  expect(cli.stdout()).not.toContain(hookUrl);
  return match[1]!;
}

const admin = (args: string[], url: string) => runCli([...args, "--url", url], { env: { TOLLGATE_ADMIN_KEY: ADMIN }, timeoutMs: 15_000 });

describe("tollgate reprice / alerts", () => {
  test("reprice shows history under other prices beside the recorded cost, and --apply records a run", async () => {
    const receiver = await webhookReceiver();
    try {
      const url = await startGateway(receiver.url());
      const created = await admin(["keys", "create", "--user", "alice"], url);
      const secret = /secret\s+(tg_[0-9A-Za-z]{43})$/m.exec(created.stdout)?.[1];
      expect(secret, created.stdout).toBeDefined();
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: secret!, maxRetries: 0 });
      for (const content of ["Say hello", "Say goodbye"]) await client.chat.completions.create({ model: "sim", messages: [{ role: "user", content }], max_tokens: 8 });
      let recorded = 0;
      await waitFor(
        async () => {
          const usage = await admin(["usage", "--json"], url);
          const totals = (JSON.parse(usage.stdout) as { totals: { requests: number; cost_nanos: number }[] }).totals;
          recorded = totals[0]?.cost_nanos ?? 0;
          return totals[0]?.requests === 2;
        },
        { timeoutMs: 15_000, intervalMs: 100, message: "the ledger never showed both requests" },
      );

      // Ten times the price: every figure exactly ten times (token prices are exact in nano-dollars).
      const prices = tempFile("prices.json", JSON.stringify({ models: { sim: [{ input: 10, output: 20 }] } }));
      const report = await admin(["reprice", "--prices", prices, "--json"], url);
      expect(report).toMatchObject({ code: 0, stderr: "" });
      expect((JSON.parse(report.stdout) as { totals: unknown[] }).totals).toEqual([
        expect.objectContaining({ group: "sim", requests: 2, recorded_cost_nanos: recorded, repriced_cost_nanos: 10 * recorded, unpriced_requests: 0, estimated: false }),
      ]);
      const table = await admin(["reprice", "--prices", prices, "--as-model", "claude-haiku-4-5"], url);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^MODEL\s+REQUESTS\s+RECORDED \(USD\)\s+REPRICED \(USD\)\s+DELTA \(USD\)\s+NOTES$/m);
      expect(table.stdout).toMatch(/^sim\s+2\s+.*estimated \(other tokenizer\)$/m);

      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      // Who ran it is the admin key the CLI signs in with (its fingerprint: the key has no name), not a flag.
      expect(await admin(["reprice", "--prices", prices, "--from", from, "--to", to, "--apply", "--actor", "finance@example.com"], url)).toMatchObject({ code: 2 });
      const run = await admin(["reprice", "--prices", prices, "--from", from, "--to", to, "--apply", "--note", "contract 2027"], url);
      expect(run).toMatchObject({ code: 0, stderr: "" });
      expect(run.stdout).toMatch(/^Repricing run rpr_[0-9a-f]{32} by admin-key:key_[0-9a-f]{12}: 2 requests of .* changed/);
      const after = JSON.parse((await admin(["usage", "--json"], url)).stdout) as { totals: { cost_nanos: number }[] };
      expect(after.totals[0]!.cost_nanos).toBe(10 * recorded);
      expect(await admin(["reprice", "--prices", tempFile("bad.json", '{"sim": {"input": -1, "output": 1}}')], url)).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/HTTP 400 invalid_request.*prices/),
      });
    } finally {
      await receiver.close();
    }
  }, 90_000);

  test("alerts test sends a signed sample to the webhooks", async () => {
    const receiver = await webhookReceiver();
    try {
      const url = await startGateway(receiver.url("/alerts"));
      const sent = await admin(["alerts", "test"], url);
      expect(sent).toMatchObject({ code: 0, stderr: "", stdout: "sent  ops (generic, signed)\n" });
      expect(receiver.received).toHaveLength(1);
      const [hit] = receiver.received;
      expect(hit!.path).toBe("/alerts");
      expect(verifySignature(SECRET, String(hit!.headers["tollgate-signature"]), hit!.body)).toBe(true);
      expect(JSON.parse(hit!.body)).toMatchObject({ type: "tollgate.alert", rule: "test", summary: expect.stringContaining("test alert") });
      expect(await admin(["alerts", "test", "--webhook", "nope"], url)).toMatchObject({ code: 1, stderr: expect.stringContaining('no webhook "nope"') });
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
