import { internalsOf } from "../../src/gateway.js";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { closedPort } from "../support/tcp-proxy.js";
import { connected, testClient, uniquePrefix } from "../../src/budgets/test-support/redis.js";
import type { ConfigInput } from "../../src/config/schema.js";
import type { Identity } from "../../src/spec/identity.js";
import { createFakeUpstream, waitFor, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { chatSseBytes, expectedFromChatChunks, loadChunks } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// The exact cache through real gateways: tenants, Cache-Control, expiry on an injected
// clock, answers that must never be stored, the Redis store shared by two instances and
// its outage, the ledger's savings, and real SDK clients reading the cache headers.

const TEXT = loadChunks("openai-chat/openai-text.chunks.txt");
const TEXT_ANSWER = expectedFromChatChunks(TEXT).choices[0]!.text;
const TOOL = loadChunks("deepseek/deepseek-tool-call.chunks.txt");
const sse = (payloads: string[]): UpstreamScript => ({ kind: "sse", chunks: [chatSseBytes(payloads)] });
/** A non-streamed Chat Completions answer saying `text`. */
const body = (text: string): UpstreamScript => ({
  kind: "json",
  status: 200,
  body: {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  },
});

// The gateway's key prefix allows [A-Za-z0-9:_-] only.
const redisPrefix = uniquePrefix("cache-e2e").replace(/[^A-Za-z0-9:_-]/g, "-");
const redis = testClient();
let upstream: FakeUpstream;
const opened: TestGateway[] = [];

beforeAll(async () => {
  await connected(redis);
  upstream = await createFakeUpstream();
});
afterEach(async () => {
  for (const gw of opened.splice(0)) await gw.close();
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await upstream.close();
  const keys = await redis.keys(`${redisPrefix}:*`);
  if (keys.length > 0) await redis.unlink(...keys);
  redis.disconnect();
});

/** The caller named by `x-key` (and `x-team`), as a host application's identity hook would. */
function identify({ headers }: { headers: Record<string, string | string[] | undefined> }): Identity {
  const team = headers["x-team"];
  return { keyId: String(headers["x-key"] ?? "k"), userId: "u", ...(typeof team === "string" ? { teamId: team } : {}) };
}

function config(extra: Partial<ConfigInput> = {}, routeCache: NonNullable<NonNullable<ConfigInput["models"]>[string]["cache"]> = { exact: { ttlSeconds: 60 } }): ConfigInput {
  return {
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-test" } },
    models: { m: { retry: { maxRetries: 0 }, cache: routeCache, targets: [{ provider: "up", model: "gpt-4o-mini" }] } },
    prices: { "gpt-4o-mini": { input: 1, output: 2 } },
    ...extra,
  };
}

async function open(cfg: ConfigInput, options: Parameters<typeof startGateway>[1] = {}): Promise<TestGateway> {
  const gw = await startGateway(cfg, { identify, ...options });
  opened.push(gw);
  return gw;
}

const question = (content = "What does a gateway do?", extra: Record<string, unknown> = {}) => ({
  model: "m",
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content }],
  ...extra,
});

/** Streams a question as `key` of `team` and returns the response with its ledger record. */
async function ask(gw: TestGateway, who: { key?: string; team?: string; cacheControl?: string } = {}, payload: Record<string, unknown> = question()) {
  const headers: Record<string, string> = { "x-key": who.key ?? "k1", ...(who.team ? { "x-team": who.team } : {}), ...(who.cacheControl ? { "cache-control": who.cacheControl } : {}) };
  const res = await postSse(`${gw.baseURL}/chat/completions`, payload, headers);
  const record = await gw.recordOf(res.headers["x-request-id"]);
  return { res, record, text: expectedFromChatChunks(res.payloads.filter((p) => p !== "[DONE]")).choices[0]?.text };
}

describe("tenants", () => {
  test("two teams asking the same question never share an answer; keys of one team do", async () => {
    const gw = await open(config());
    upstream.enqueue(sse(TEXT), sse(TEXT));
    const calls = upstream.requests.length;
    expect((await ask(gw, { key: "a1", team: "red" })).res.headers["x-tollgate-cache"]).toBe("miss");
    expect((await ask(gw, { key: "b1", team: "blue" })).res.headers["x-tollgate-cache"]).toBe("miss");
    expect(upstream.requests.length - calls).toBe(2);
    const sameTeam = await ask(gw, { key: "a2", team: "red" });
    expect(sameTeam.res.headers["x-tollgate-cache"]).toBe("hit");
    expect(sameTeam.text).toBe(TEXT_ANSWER);
    // Without a team, each key is its own tenant.
    upstream.enqueue(sse(TEXT), sse(TEXT));
    expect((await ask(gw, { key: "solo-1" })).res.headers["x-tollgate-cache"]).toBe("miss");
    expect((await ask(gw, { key: "solo-2" })).res.headers["x-tollgate-cache"]).toBe("miss");
    expect((await ask(gw, { key: "solo-1" })).res.headers["x-tollgate-cache"]).toBe("hit");
    expect(upstream.requests.length - calls).toBe(4);
  });

  test("scope key: keys of the same team do not share", async () => {
    const gw = await open(config({ cache: { store: "memory", scope: "key" } }));
    upstream.enqueue(sse(TEXT), sse(TEXT));
    expect((await ask(gw, { key: "a1", team: "red" })).res.headers["x-tollgate-cache"]).toBe("miss");
    expect((await ask(gw, { key: "a2", team: "red" })).res.headers["x-tollgate-cache"]).toBe("miss");
    expect((await ask(gw, { key: "a1", team: "red" })).res.headers["x-tollgate-cache"]).toBe("hit");
  });
});

describe("Cache-Control", () => {
  test("no-store neither reads nor writes; no-cache does not read but refreshes the entry", async () => {
    const gw = await open(config());
    const plain = question("Cache-Control?", { stream: false });
    const send = async (cacheControl?: string) => {
      const res = await request(`${gw.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-key": "k", ...(cacheControl ? { "cache-control": cacheControl } : {}) },
        body: JSON.stringify(plain),
      });
      const json = (await res.body.json()) as { choices: { message: { content: string } }[] };
      await gw.recordOf(res.headers["x-request-id"]);
      return { cache: res.headers["x-tollgate-cache"], text: json.choices[0]!.message.content };
    };
    upstream.enqueue(body("first"));
    expect(await send("no-store")).toEqual({ cache: "bypass", text: "first" });
    upstream.enqueue(body("second"));
    expect(await send()).toEqual({ cache: "miss", text: "second" });
    expect(await send()).toEqual({ cache: "hit", text: "second" });
    upstream.enqueue(body("third"));
    expect(await send("no-cache")).toEqual({ cache: "bypass", text: "third" });
    // no-cache refreshed the entry; no-store left it alone.
    expect(await send()).toEqual({ cache: "hit", text: "third" });
    upstream.enqueue(body("fourth"));
    expect(await send("no-store")).toEqual({ cache: "bypass", text: "fourth" });
    expect(await send()).toEqual({ cache: "hit", text: "third" });
  });
});

describe("expiry", () => {
  test("an entry is served until its TTL, with its age, and not after", async () => {
    let now = Date.UTC(2030, 0, 1);
    const gw = await open(config({}, { exact: { ttlSeconds: 30 } }), { clock: () => now });
    upstream.enqueue(sse(TEXT));
    expect((await ask(gw)).res.headers["x-tollgate-cache"]).toBe("miss");
    now += 29_999;
    const hit = await ask(gw);
    expect(hit.res.headers["x-tollgate-cache"]).toBe("hit");
    expect(hit.res.headers.age).toBe("29");
    expect(hit.record.cache).toMatchObject({ kind: "exact", ageMs: 29_999 });
    now += 1;
    upstream.enqueue(sse(TEXT));
    expect((await ask(gw)).res.headers["x-tollgate-cache"]).toBe("miss");
    // max-age: the client accepts only younger entries.
    now += 10_000;
    expect((await ask(gw, { cacheControl: "max-age=20" })).res.headers["x-tollgate-cache"]).toBe("hit");
    upstream.enqueue(sse(TEXT));
    expect((await ask(gw, { cacheControl: "max-age=5" })).res.headers["x-tollgate-cache"]).toBe("miss");
  });
});

describe("what is never stored", () => {
  test("an error status, a stream cut after its first token, and a stream the client left", async () => {
    const gw = await open(config());
    const calls = upstream.requests.length;
    upstream.enqueue({ kind: "json", status: 400, body: { error: { message: "bad", type: "invalid_request_error" } } });
    expect((await ask(gw)).res.status).toBe(400);

    const bytes = chatSseBytes(TEXT);
    upstream.enqueue({ kind: "cut", chunks: [bytes.subarray(0, Math.floor(bytes.length / 2))] });
    const cut = await ask(gw);
    expect(cut.res.status).toBe(200);
    expect(cut.record.outcome).toBe("failed");

    upstream.enqueue({ kind: "stall", chunks: [bytes.subarray(0, Math.floor(bytes.length / 2))] });
    const left = new AbortController();
    const res = await request(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-key": "k1" },
      body: JSON.stringify(question()),
      signal: left.signal,
    });
    for await (const _ of res.body) {
      left.abort();
      break;
    }
    expect((await gw.recordOf(res.headers["x-request-id"])).outcome).toBe("cancelled");

    // None of them was kept: the next request goes upstream and completes.
    upstream.enqueue(sse(TEXT));
    const next = await ask(gw);
    expect(next.res.headers["x-tollgate-cache"]).toBe("miss");
    expect(next.text).toBe(TEXT_ANSWER);
    expect(upstream.requests.length - calls).toBe(4);
  });
});

describe("stores", () => {
  test("SQLite (the default): an answer outlives the gateway that stored it", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "tollgate-cache-"));
    try {
      const cfg = config({ database: { url: `sqlite:${join(dir, "db.sqlite")}` } });
      const first = await startGateway(cfg, { identify });
      expect(internalsOf(first.gateway).services.cache?.store.kind).toBe("sqlite");
      upstream.enqueue(sse(TOOL));
      const live = await ask(first);
      await first.close();
      const second = await open(cfg);
      const again = await ask(second);
      expect(again.res.headers["x-tollgate-cache"]).toBe("hit");
      expect(again.res.payloads).toEqual(live.res.payloads);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("Redis: two instances share entries", async () => {
    const cfg = config({ redis: { url: "redis://127.0.0.1:6379", keyPrefix: redisPrefix }, cache: { store: "redis" } });
    const a = await open(cfg);
    const b = await open(cfg);
    upstream.enqueue(sse(TEXT));
    const calls = upstream.requests.length;
    expect((await ask(a)).res.headers["x-tollgate-cache"]).toBe("miss");
    const hit = await ask(b);
    expect(hit.res.headers["x-tollgate-cache"]).toBe("hit");
    expect(hit.text).toBe(TEXT_ANSWER);
    expect(upstream.requests.length - calls).toBe(1);
  });

  test("an unreachable Redis makes every lookup a miss and never fails a request", async () => {
    const logs: string[] = [];
    const port = await closedPort();
    const gw = await open(config({ redis: { url: `redis://127.0.0.1:${port}` }, cache: { store: "redis", storeTimeoutMs: 200 } }), { log: (m) => logs.push(m) });
    upstream.enqueue(sse(TEXT), sse(TEXT));
    for (let i = 0; i < 2; i++) {
      const { res, record, text } = await ask(gw);
      expect(res.headers["x-tollgate-cache"]).toBe("miss");
      expect(record.outcome).toBe("complete");
      expect(text).toBe(TEXT_ANSWER);
    }
    expect(logs.some((m) => /cache lookup failed \(redis\)/.test(m))).toBe(true);
    expect(logs.some((m) => /cache write failed \(redis\)/.test(m))).toBe(true);
  });
});

describe("budgets", () => {
  test("an exact hit is served past an exhausted request limit: it reserves nothing and counts toward nothing", async () => {
    // A total limit: a minute window could reset while a busy machine runs the test.
    const gw = await open(config({ budgets: { rules: [{ scope: "key", period: "total", requests: 1 }] } }));
    upstream.enqueue(sse(TEXT));
    expect((await ask(gw)).res.headers["x-tollgate-cache"]).toBe("miss");
    for (let i = 0; i < 3; i++) expect((await ask(gw)).res.headers["x-tollgate-cache"]).toBe("hit");
    const other = await ask(gw, {}, question("Something not cached yet?"));
    expect(other.res.status).toBe(429);
  });
});

describe("ledger", () => {
  test("a hit is a row with no cost that saved what the original cost; /admin/usage sums the savings", async () => {
    const gw = await open(config({ admin: { keys: ["env:ADMIN"] } }), { env: { ADMIN: "admin-key-0123456789abcdef" } });
    upstream.enqueue(body("priced"));
    const plain = question("What is priced?", { stream: false });
    const send = async () => {
      const res = await request(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", "x-key": "k" }, body: JSON.stringify(plain) });
      await res.body.text();
      return gw.recordOf(res.headers["x-request-id"]);
    };
    const miss = await send();
    // 1000 input tokens at $1/M and 500 output tokens at $2/M.
    expect(miss.costNanos).toBe(2_000_000);
    const hits = [await send(), await send()];
    for (const hit of hits) expect(hit).toMatchObject({ attempts: [], cache: { kind: "exact", savedNanos: 2_000_000 } });

    let total: Record<string, unknown> | undefined;
    await waitFor(
      async () => {
        const res = await request(`${gw.url}/admin/usage?group_by=route`, { headers: { authorization: "Bearer admin-key-0123456789abcdef" } });
        const json = (await res.body.json()) as { totals: Record<string, unknown>[] };
        total = json.totals.find((t) => t.group === "m");
        return total?.requests === 3;
      },
      { intervalMs: 25, message: "the ledger has the three requests" },
    );
    expect(total).toMatchObject({ requests: 3, cost_nanos: 2_000_000, cost_usd: "0.002000", saved_nanos: 4_000_000, saved_usd: "0.004000" });
    const sql = await internalsOf(gw.gateway).services.store();
    expect(await sql.query("SELECT cache_hit, cache_kind, cost_nanos, saved_nanos FROM tollgate_ledger_requests ORDER BY seq")).toEqual([
      { cache_hit: 0, cache_kind: null, cost_nanos: 2_000_000, saved_nanos: 0 },
      { cache_hit: 1, cache_kind: "exact", cost_nanos: 0, saved_nanos: 2_000_000 },
      { cache_hit: 1, cache_kind: "exact", cost_nanos: 0, saved_nanos: 2_000_000 },
    ]);
    // The dashboard's request detail says which cache answered and what it saved.
    const detail = await request(`${gw.url}/admin/requests/${hits[0]!.id}`, { headers: { authorization: "Bearer admin-key-0123456789abcdef" } });
    expect(await detail.body.json()).toMatchObject({ id: hits[0]!.id, cache_hit: true, cache_kind: "exact", cost_usd: "0.000000", saved_usd: "0.002000", attempt_list: [] });
  });
});

describe("SDK clients", () => {
  test("OpenAI's and Anthropic's SDKs read a cached answer and its headers", async () => {
    const gw = await open(config());
    const openai = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", defaultHeaders: { "x-key": "sdk" } });
    upstream.enqueue(sse(TOOL));
    const tools = [{ type: "function" as const, function: { name: "weather", parameters: { type: "object", properties: { location: { type: "string" } } } } }];
    const ask = async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: "m", stream: true, max_completion_tokens: 300, messages: [{ role: "user", content: "Weather in Paris?" }], tools })
        .withResponse();
      let args = "";
      for await (const chunk of stream) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "";
      return { cache: response.headers.get("x-tollgate-cache"), args };
    };
    const live = await ask();
    expect(live.cache).toBe("miss");
    expect(await ask()).toEqual({ cache: "hit", args: live.args });

    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: "unused", defaultHeaders: { "x-key": "sdk" } });
    const { data, response } = await anthropic.messages
      .create({
        model: "m",
        max_tokens: 300,
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [{ name: "weather", input_schema: { type: "object", properties: { location: { type: "string" } } } }],
      })
      .withResponse();
    expect(response.headers.get("x-tollgate-cache")).toBe("hit");
    const call = data.content.find((b) => b.type === "tool_use");
    expect(call).toMatchObject({ type: "tool_use", name: "weather", input: JSON.parse(live.args) });
  });
});
