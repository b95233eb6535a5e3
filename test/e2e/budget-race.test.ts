import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { Agent, request } from "undici";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { createTestDatabase, type TestDatabase } from "../../src/store/test-support/test-database.js";
import { buildDist, killAll, removeTempDirs, spawnCli, tempFile, type CliProcess } from "../support/cli-process.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, loadChunks } from "../support/fixtures.js";

// The budget race: a $X budget, 500 concurrent requests whose worst cases add up to about
// 10 × X, spread over three gateway processes sharing one Redis and one Postgres. The
// settled spend never exceeds X, and every rejected request was refused before any
// upstream call.

const REQUESTS = 500;
const ADMIN = `admin-${randomBytes(8).toString("hex")}`;
const prefix = `tollgate-test-race-${randomBytes(6).toString("hex")}`;
let db: TestDatabase;
let upstream: FakeUpstream;
let gateways: { cli: CliProcess; url: string }[] = [];
const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });

beforeAll(async () => {
  await buildDist();
  db = await createTestDatabase("postgres");
  upstream = await createFakeUpstream();
  // 16 prompt + 300 completion tokens per answer, as the provider reports them.
  upstream.setDefault({ kind: "sse", chunks: [chatSseBytes(loadChunks("openai-chat/openai-text.chunks.txt"))] });
}, 180_000);

afterAll(async () => {
  await killAll();
  removeTempDirs();
  await upstream?.close();
  await db?.dispose();
  await redis.connect().catch(() => {});
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

test("three instances never settle more than the budget, and refuse before calling upstream", async () => {
  // $1 per 1M tokens each way: an answer costs (16 + 300) × 1,000 = 316,000 n$; its worst case
  // (prompt counted + max_tokens 400) about 410,000 n$. 500 worst cases ≈ $0.205 = 10 × X.
  const budgetUsd = 0.0205;
  const config = tempFile(
    "race.yaml",
    `
database: { url: "env:RACE_DATABASE_URL" }
redis: { url: "redis://127.0.0.1:6379", keyPrefix: "${prefix}" }
admin: { keys: ["env:RACE_ADMIN"] }
budgets:
  rules: [{ scope: user, id: "*", period: day, usd: ${budgetUsd} }]
prices: { m: { input: 1, output: 1 } }
providers: { up: { type: openai, baseURL: "${upstream.url}" } }
models: { m: { targets: [{ provider: up, model: m }] } }
`,
  );
  const env = { RACE_DATABASE_URL: db.url, RACE_ADMIN: ADMIN };
  gateways = await Promise.all(
    [0, 1, 2].map(async () => {
      const cli = spawnCli(["start", "--config", config, "--port", "0"], { env });
      const [, url] = (await cli.waitForStdout(/listening on (http:\/\/\S+)/, 20_000)) as RegExpMatchArray;
      return { cli, url: url! };
    }),
  );

  const created = await request(`${gateways[0]!.url}/admin/keys`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ user_id: "racer" }) });
  expect(created.statusCode).toBe(201);
  const { secret } = (await created.body.json()) as { secret: string };

  const agent = new Agent({ connections: 256 });
  const body = JSON.stringify({ model: "m", stream: true, max_tokens: 400, messages: [{ role: "user", content: "Invent a holiday." }] });
  const results = await Promise.all(
    Array.from({ length: REQUESTS }, async (_, i) => {
      const res = await request(`${gateways[i % 3]!.url}/v1/chat/completions`, { method: "POST", dispatcher: agent, headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body });
      const text = await res.body.text();
      return { status: res.statusCode, text, retryAfter: res.headers["retry-after"] };
    }),
  );
  await agent.close();

  const served = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status === 429);
  expect(served.length + refused.length).toBe(REQUESTS);
  for (const r of served) expect(r.text.endsWith("data: [DONE]\n\n")).toBe(true);
  for (const r of refused) {
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: "budget_exceeded", type: "rate_limit_error" } });
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
  }
  // Refused requests never reached the provider.
  expect(upstream.requests.length).toBe(served.length);

  // Stop the instances (each flushes its ledger), then read what was settled.
  for (const g of gateways) g.cli.child.kill("SIGTERM");
  for (const g of gateways) expect((await g.cli.exit(20_000)).code).toBe(0);
  const sql = await openStore(db.url);
  const [row] = await sql.query<{ spent: number; n: number }>("SELECT SUM(cost_nanos) AS spent, COUNT(*) AS n FROM tollgate_ledger_requests WHERE user_id = $1 AND status = 200", ["racer"]);
  await sql.close();
  const limit = budgetUsd * 1e9;
  const actual = 316_000;
  expect(row!.n).toBe(served.length);
  expect(row!.spent).toBe(served.length * actual);
  expect(row!.spent).toBeLessThanOrEqual(limit);
  // The budget was really used, not trivially respected: what is left is at most the
  // over-reservation of the served requests (worst case minus actual) and one worst case.
  const worst = 410_000;
  expect(limit - row!.spent).toBeLessThan(served.length * (worst - actual) + worst);
  console.log(`budget race: X=${limit} n$, ${REQUESTS} requests over 3 instances, ${served.length} served, ${refused.length} refused (429), settled ${row!.spent} n$ (${((100 * row!.spent) / limit).toFixed(1)}% of X)`);
}, 120_000);
