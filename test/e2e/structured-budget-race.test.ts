import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { request } from "undici";
import { afterAll, beforeAll, expect, test } from "vitest";
import { countMessageTokens } from "../../src/usage/tokenizer.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// Repairs under concurrency, budgets in Redis: concurrent schema requests whose every
// answer is invalid each want three calls. The upstream reports no usage, so each call
// is counted exactly as its reservation was (the prompt as sent, and one output token
// for an answer of one token with max_tokens 1): if any call ran without its own
// reservation, the counter would end above its limit.

const prefix = `tollgate-test-structured-race-${randomBytes(6).toString("hex")}`;
const LIMIT = 300;
const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
const messages = [{ role: "user", content: "Answer with an object." }];

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  // "x": one token, not JSON; no usage field, so the gateway counts it.
  upstream.setDefault({
    kind: "json",
    status: 200,
    body: { id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "x" }, finish_reason: "stop" }] },
  });
  gw = await startGateway({
    redis: { url: "redis://127.0.0.1:6379", keyPrefix: prefix },
    budgets: { rules: [{ scope: "tag", id: "team=race", period: "day", tokens: LIMIT }] },
    providers: { oa: { type: "openai", baseURL: upstream.url } },
    models: { gpt: { retry: { maxRetries: 0 }, targets: [{ provider: "oa", model: "m" }] } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
  await redis.connect();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

test("concurrent requests with repairs never spend beyond the budget; each call was reserved before it ran", async () => {
  const send = () =>
    request(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-tollgate-tags": "team=race" },
      body: JSON.stringify({ model: "gpt", messages, max_tokens: 1, response_format: { type: "json_schema", json_schema: { name: "r", schema } } }),
    }).then(async (res) => ({ status: res.statusCode, id: res.headers["x-request-id"] as string, body: await res.body.text() }));
  const results = await Promise.all(Array.from({ length: 8 }, send));
  const records = await Promise.all(results.map((r) => gw.recordOf(r.id)));

  // Only budget refusals and exhausted repairs: nothing else went wrong.
  for (const r of results) expect([422, 429], r.body).toContain(r.status);
  const spent = records.reduce((sum, r) => sum + (r.usage ? r.usage.inputTokens + r.usage.outputTokens : 0), 0);
  expect(spent).toBeLessThanOrEqual(LIMIT);
  // Every call the upstream saw is in some record, counted as reserved: prompt as sent + one token.
  const calls = upstream.requests.map((q) => countMessageTokens((q.body as { messages: { role: "user"; content: string }[] }).messages) + 1);
  expect(calls.reduce((a, b) => a + b, 0)).toBe(spent);
  expect(records.reduce((n, r) => n + r.attempts.length, 0)).toBe(upstream.requests.length);
  // Some requests were stopped between calls, after spending on earlier ones.
  expect(records.some((r) => r.status === 429 && r.attempts.length > 0)).toBe(true);
});
