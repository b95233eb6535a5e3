import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { Agent, request } from "undici";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { createTestDatabase, type TestDatabase } from "../../src/store/test-support/test-database.js";
import { buildDist, killAll, removeTempDirs, spawnCli, tempFile, type CliProcess } from "../support/cli-process.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { chatSseBytes, loadChunks } from "../support/fixtures.js";

// The budget race: a $X budget, 500 concurrent requests whose worst cases add up to about
// 10 × X, spread over three gateway processes sharing one Redis and one Postgres. The
// settled spend never exceeds X, and every rejected request was refused before any
// upstream call. Run twice: with a plain prompt, and with a large tool definition and a
// 1024 × 1024 image, which the provider bills as input (its usage says so) and the worst
// case must therefore count.

const REQUESTS = 500;
const ADMIN = `admin-${randomBytes(8).toString("hex")}`;
const prefix = `tollgate-test-race-${randomBytes(6).toString("hex")}`;
const recorded = chatSseBytes(loadChunks("openai-chat/openai-text.chunks.txt"));
/** A function with 40 described parameters: about 1,000 tokens of definition. */
const bigTool = {
  type: "function",
  function: {
    name: "book_trip",
    description: "Books a trip with every preference a traveller may state.",
    parameters: {
      type: "object",
      properties: Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [
          `preference_${i}`,
          { type: "string", description: `The traveller's preference number ${i}, in their own words, for example a window seat or a quiet room.` },
        ]),
      ),
    },
  },
};
/** A 1024 × 1024 PNG (its header is what a reader needs): 765 tokens at gpt-4o's high detail. */
function pngHeader(width: number, height: number): string {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write("IHDR", 4, "latin1");
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.writeUInt8(8, 16);
  ihdr.writeUInt8(6, 17);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]).toString("base64");
}
const IMAGE_URL = `data:image/png;base64,${pngHeader(1024, 1024)}`;
/** What gpt-4o bills for the media request's input: its text (16 as recorded), the function definition (a generous count of its JSON) and the image's 765. */
const MEDIA_PROMPT_TOKENS = 16 + countTokens(JSON.stringify(bigTool.function)) + 765;

/** The recorded answer with its usage chunk saying `prompt` input tokens. */
function billedAs(prompt: number): string[] {
  return loadChunks("openai-chat/openai-text.chunks.txt").map((payload) => {
    const chunk = JSON.parse(payload) as { usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    if (!chunk.usage) return payload;
    chunk.usage.prompt_tokens = prompt;
    chunk.usage.total_tokens = prompt + chunk.usage.completion_tokens;
    return JSON.stringify(chunk);
  });
}

let db: TestDatabase;
let upstream: FakeUpstream;
let gateways: { cli: CliProcess; url: string }[] = [];
const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });

beforeAll(async () => {
  await buildDist();
  db = await createTestDatabase("postgres");
  upstream = await createFakeUpstream();
  // 16 prompt + 300 completion tokens per answer, as the provider reports them.
  // The plain prompt is billed as recorded; a request with tools and an image is billed as
  // gpt-4o bills them (usage rewritten to the provider's count of what it was sent).
  upstream.setDefault({
    kind: "reply",
    answer: (body) => {
      const sent = body as { tools?: unknown[] };
      if (!sent.tools) return { kind: "sse", chunks: [recorded] };
      return { kind: "sse", chunks: [chatSseBytes(billedAs(MEDIA_PROMPT_TOKENS))] };
    },
  });
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

const plain = { model: "m", stream: true, max_tokens: 400, messages: [{ role: "user", content: "Invent a holiday." }] };
const withMedia = {
  ...plain,
  tools: [bigTool],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "Invent a holiday." },
        { type: "image_url", image_url: { url: IMAGE_URL, detail: "high" } },
      ],
    },
  ],
};

// $1 per 1M tokens each way. Plain: an answer costs (16 + 300) × 1,000 = 316,000 n$; its worst
// case (prompt counted + max_tokens 400) about 410,000 n$. 500 worst cases ≈ $0.205 = 10 × X.
// With media the answer costs (MEDIA_PROMPT_TOKENS + 300) × 1,000 and the budget is 10 × X too.
test.each([
  { name: "a plain prompt", user: "racer", body: plain, budgetUsd: 0.0205, actual: 316_000, worst: 410_000 },
  { name: "a large tool definition and an image", user: "racer-media", body: withMedia, budgetUsd: 0.055, actual: (MEDIA_PROMPT_TOKENS + 300) * 1000, worst: undefined },
])(
  "three instances never settle more than the budget with $name, and refuse before calling upstream",
  async ({ user, body: payload, budgetUsd, actual, worst }) => {
    const config = tempFile(
      "race.yaml",
      `
database: { url: "env:RACE_DATABASE_URL" }
redis: { url: "redis://127.0.0.1:6379", keyPrefix: "${prefix}-${user}" }
admin: { keys: ["env:RACE_ADMIN"] }
budgets:
  storeTimeoutMs: 5000
  rules: [{ scope: user, id: "*", period: day, usd: ${budgetUsd} }]
prices: { gpt-4o: { input: 1, output: 1 } }
providers: { up: { type: openai, baseURL: "${upstream.url}" } }
models: { m: { targets: [{ provider: up, model: gpt-4o }] } }
`,
    );
    const env = { RACE_DATABASE_URL: db.url, RACE_ADMIN: ADMIN };
    gateways = await Promise.all(
      [0, 1, 2].map(async () => {
        const cli = spawnCli(["start", "--config", config, "--port", "0"], { env });
        const [, url] = (await cli.waitForStdout(/listening on (http:\/\/\S+)/)) as RegExpMatchArray;
        return { cli, url: url! };
      }),
    );
    const upstreamBefore = upstream.requests.length;

    const created = await request(`${gateways[0]!.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: user }),
    });
    expect(created.statusCode).toBe(201);
    const { secret } = (await created.body.json()) as { secret: string };

    const agent = new Agent({ connections: 256 });
    const body = JSON.stringify(payload);
    const results = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const res = await request(`${gateways[i % 3]!.url}/v1/chat/completions`, {
          method: "POST",
          dispatcher: agent,
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body,
        });
        const text = await res.body.text();
        return { status: res.statusCode, text, retryAfter: res.headers["retry-after"] };
      }),
    );
    await agent.close();

    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    const others = results.filter((r) => r.status !== 200 && r.status !== 429);
    expect(
      served.length + refused.length,
      `other answers: ${others
        .slice(0, 3)
        .map((r) => `${r.status} ${r.text.slice(0, 200)}`)
        .join(" | ")}`,
    ).toBe(REQUESTS);
    expect(served.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of served) expect(r.text.endsWith("data: [DONE]\n\n")).toBe(true);
    for (const r of refused) {
      expect(JSON.parse(r.text)).toMatchObject({ error: { code: "budget_exceeded", type: "rate_limit_error" } });
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    // Refused requests never reached the provider.
    expect(upstream.requests.length - upstreamBefore).toBe(served.length);

    // Stop the instances (each flushes its ledger), then read what was settled.
    for (const g of gateways) g.cli.child.kill("SIGTERM");
    for (const g of gateways) expect((await g.cli.exit()).code).toBe(0);
    const sql = await openStore(db.url);
    const [row] = await sql.query<{ spent: number; n: number }>("SELECT SUM(cost_nanos) AS spent, COUNT(*) AS n FROM tollgate_ledger_requests WHERE user_id = $1 AND status = 200", [user]);
    await sql.close();
    const limit = budgetUsd * 1e9;
    expect(row!.n).toBe(served.length);
    expect(Number(row!.spent)).toBe(served.length * actual);
    expect(Number(row!.spent)).toBeLessThanOrEqual(limit);
    // The budget was really used, not trivially respected: what is left is at most the
    // over-reservation of the served requests (worst case minus actual) and one worst case.
    if (worst !== undefined) expect(limit - Number(row!.spent)).toBeLessThan(served.length * (worst - actual) + worst);
    console.log(
      `budget race (${user}): X=${limit} n$, ${REQUESTS} requests over 3 instances, ${served.length} served, ${refused.length} refused (429), settled ${row!.spent} n$ (${((100 * Number(row!.spent)) / limit).toFixed(1)}% of X)`,
    );
  },
  120_000,
);
