import { internalsOf } from "../../src/gateway.js";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { createTestDatabase, storeKinds } from "../../src/store/test-support/test-database.js";
import { createFakeUpstream, waitFor, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { expectedFromAnthropicChunks } from "../support/anthropic-expected.js";
import { chatSseBytes, expectedFromChatChunks, loadChunks, loadText, namedEventSseBytes } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Idempotency-Key on one gateway, with its default store (the gateway's SQLite database).

const CHUNKS = loadChunks("openai-chat/openai-text.chunks.txt");
const TEXT = expectedFromChatChunks(CHUNKS).choices[0]!.text;
const COMPLETION = loadText("openai-chat/openai-text.json");
const COMPLETION_TEXT = (JSON.parse(COMPLETION) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
const K1 = "client-key-one-0123456789";
const K2 = "client-key-two-0123456789";

let upstream: FakeUpstream;
let gw: TestGateway;
const extra: TestGateway[] = [];

function config(idempotency: ConfigInput["idempotency"] = {}): ConfigInput {
  return {
    auth: { keys: ["env:K1", "env:K2"] },
    idempotency,
    providers: { up: { type: "openai", baseURL: upstream.url, idempotencyHeader: "Idempotency-Key" } },
    models: {
      fast: { targets: [{ provider: "up", model: "gpt-4.1-nano" }], retry: { maxRetries: 1, baseDelayMs: 0, maxDelayMs: 0 } },
      embed: { targets: [{ provider: "up", model: "text-embedding-3-small" }] },
    },
  };
}

async function start(idempotency: ConfigInput["idempotency"] = {}): Promise<TestGateway> {
  const started = await startGateway(config(idempotency), { env: { K1, K2 } });
  extra.push(started);
  return started;
}

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(config(), { env: { K1, K2 } });
});
afterAll(async () => {
  for (const g of extra) await g.close();
  await gw?.close();
  await upstream?.close();
});

const ask = (content: string, extraFields: Record<string, unknown> = {}) => ({ model: "fast", messages: [{ role: "user", content }], ...extraFields });

async function post(target: TestGateway, body: unknown, headers: Record<string, string>, path = "chat/completions") {
  const res = await request(`${target.baseURL}/${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${K1}`, ...headers }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}

async function stream(target: TestGateway, body: unknown, headers: Record<string, string>) {
  const res = await postSse(`${target.baseURL}/chat/completions`, { ...(body as object), stream: true }, { authorization: `Bearer ${K1}`, ...headers });
  const text = res.payloads
    .filter((p) => p !== "[DONE]")
    .map((p) => (JSON.parse(p) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "")
    .join("");
  return { ...res, content: text };
}

const sse = () => ({ kind: "sse" as const, chunks: [chatSseBytes(CHUNKS)] });
/** The same stream, one frame per write with `delayMs` between them: a first request that takes a while. */
const slowSse = (delayMs: number) => ({ kind: "sse" as const, chunks: [...CHUNKS, "[DONE]"].map((p) => Buffer.from(`data: ${p}\n\n`)), delayMs });
const json = () => ({ kind: "status" as const, status: 200, body: COMPLETION, headers: { "content-type": "application/json" } });
const FAILURE: UpstreamScript = { kind: "json", status: 500, body: { error: { message: "boom", type: "server_error" } } };

/** A fresh Idempotency-Key, the upstream's answers for one test, and how many upstream calls the test has made. */
function scenario(...scripts: UpstreamScript[]): { key: string; calls: () => number } {
  const key = randomUUID();
  upstream.enqueue(...scripts);
  const before = upstream.requests.length;
  return { key, calls: () => upstream.requests.length - before };
}

describe("a later duplicate", () => {
  test("gets the stored answer replayed without an upstream call, marked, and recorded as a zero-cost replay", async () => {
    const { key, calls } = scenario(json());
    const first = await post(gw, ask("replay me"), { "idempotency-key": key });
    const again = await post(gw, ask("replay me"), { "idempotency-key": key });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(calls()).toBe(1);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.headers["x-tollgate-cache"]).toBe("idempotent-replay");
    expect(again.headers["x-tollgate-original-request-id"]).toBe(first.headers["x-request-id"]);
    expect(again.headers["x-request-id"]).not.toBe(first.headers["x-request-id"]);

    const original = await gw.recordOf(first.headers["x-request-id"]);
    const replay = await gw.recordOf(again.headers["x-request-id"]);
    expect(original.costNanos).toBeGreaterThan(0);
    expect(original.cache).toBeUndefined();
    expect(replay).toMatchObject({ status: 200, outcome: "complete", attempts: [], route: "fast", cache: { kind: "idempotent", savedNanos: original.costNanos } });
    expect(replay.cache!.ageMs).toBeGreaterThanOrEqual(0);
    expect(replay.costNanos).toBeUndefined();
    expect(replay.usage).toBeUndefined();

    // In the ledger: a zero-cost row marked as an idempotent replay, with what it saved.
    const sql = await internalsOf(gw.gateway).services.store();
    const rowOf = async (id: unknown) => (await sql.query<Record<string, unknown>>("SELECT cache_hit, cache_kind, cost_nanos, saved_nanos FROM tollgate_ledger_requests WHERE id = $1", [id]))[0];
    await waitFor(async () => (await rowOf(again.headers["x-request-id"])) !== undefined, { message: "the replay reaches the ledger" });
    expect(await rowOf(again.headers["x-request-id"])).toEqual({ cache_hit: 1, cache_kind: "idempotent", cost_nanos: 0, saved_nanos: original.costNanos });
    expect(await rowOf(first.headers["x-request-id"])).toEqual({ cache_hit: 0, cache_kind: null, cost_nanos: original.costNanos, saved_nanos: 0 });
  });

  test("reserves and spends no budget: a replay is served after the key's rate limit is used up", async () => {
    const limited = await startGateway({ ...config(), budgets: { rules: [{ scope: "key", period: "total", requests: 1 }] } }, { env: { K1, K2 } });
    extra.push(limited);
    const { key, calls } = scenario(json());
    expect((await post(limited, ask("only once"), { "idempotency-key": key })).status).toBe(200);
    const replay = await post(limited, ask("only once"), { "idempotency-key": key });
    expect(replay.status).toBe(200);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    // The one request the limit allows was the first run; anything new is refused.
    expect((await post(limited, ask("something new"), {})).status).toBe(429);
    expect(calls()).toBe(1);
  });

  test("a streamed answer replays as the same frames to a streaming client, and as one body to a non-streaming one", async () => {
    const { key, calls } = scenario(sse());
    const first = await stream(gw, ask("stream me"), { "idempotency-key": key });
    const streamed = await stream(gw, ask("stream me"), { "idempotency-key": key });
    const whole = await post(gw, ask("stream me"), { "idempotency-key": key });
    expect(calls()).toBe(1);
    expect(first.content).toBe(TEXT);
    // Same API in and out: the frames are the upstream's own, byte for byte.
    expect(streamed.text).toBe(first.text);
    expect(streamed.headers["idempotent-replayed"]).toBe("true");
    expect(whole.status).toBe(200);
    expect(whole.json().choices[0].message.content).toBe(TEXT);
    expect(whole.json().usage).toMatchObject({ prompt_tokens: 16, completion_tokens: 300 });
    expect(whole.headers["idempotent-replayed"]).toBe("true");
  });

  test("a non-streamed answer replays as a stream to a streaming client", async () => {
    const { key, calls } = scenario(json());
    const first = await post(gw, ask("body first"), { "idempotency-key": key });
    const streamed = await stream(gw, ask("body first"), { "idempotency-key": key });
    expect(calls()).toBe(1);
    expect(first.json().choices[0].message.content).toBe(COMPLETION_TEXT);
    expect(streamed.status).toBe(200);
    expect(streamed.content).toBe(COMPLETION_TEXT);
    expect(streamed.payloads.at(-1)).toBe("[DONE]");
  });

  test("an embeddings answer is kept and replayed too", async () => {
    const { key, calls } = scenario({ kind: "status", status: 200, body: loadText("openai-embeddings/openai-embedding.json"), headers: { "content-type": "application/json" } });
    const body = { model: "embed", input: ["sunny day at the beach", "rainy day in the city"] };
    const first = await post(gw, body, { "idempotency-key": key }, "embeddings");
    const again = await post(gw, body, { "idempotency-key": key }, "embeddings");
    expect(calls()).toBe(1);
    expect(first.status).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(again.headers["idempotent-replayed"]).toBe("true");
  });
});

describe("the Messages API", () => {
  test("replays an Anthropic stream frame for frame, and as one Messages body to a non-streaming retry", async () => {
    const payloads = loadChunks("anthropic/anthropic-clear-thinking.1.chunks.txt");
    const expected = expectedFromAnthropicChunks(payloads).choices[0]!;
    const messages = await startGateway({ providers: { ant: { type: "anthropic", baseURL: upstream.url } }, models: { claude: { targets: [{ provider: "ant", model: "claude-recorded" }] } } });
    extra.push(messages);
    const { key, calls } = scenario({ kind: "sse", chunks: [namedEventSseBytes(payloads)] });
    const body = { model: "claude", max_tokens: 2048, messages: [{ role: "user", content: "think, then answer" }] };
    const headers = { "anthropic-version": "2023-06-01", "idempotency-key": key };
    const first = await postSse(`${messages.url}/v1/messages`, { ...body, stream: true }, headers);
    const again = await postSse(`${messages.url}/v1/messages`, { ...body, stream: true }, headers);
    const res = await request(`${messages.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const whole = (await res.body.json()) as { content: { type: string; text?: string; thinking?: string }[] };
    expect(calls()).toBe(1);
    expect(first.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(res.statusCode).toBe(200);
    expect(
      whole.content
        .filter((b) => b.type === "text")
        .map((b) => b.text)
        .join(""),
    ).toBe(expected.text);
    expect(
      whole.content
        .filter((b) => b.type === "thinking")
        .map((b) => b.thinking)
        .join(""),
    ).toBe(expected.reasoning);
  });
});

describe("key rules", () => {
  test("the same key with another body is a 422, and does not disturb the stored answer", async () => {
    const { key, calls } = scenario(json());
    await post(gw, ask("the original"), { "idempotency-key": key });
    const other = await post(gw, ask("something else"), { "idempotency-key": key });
    expect(other.status).toBe(422);
    expect(other.json().error).toMatchObject({ code: "idempotency_key_reused", type: "invalid_request_error", param: "idempotency-key" });
    const tweaked = await post(gw, ask("the original", { temperature: 0.1 }), { "idempotency-key": key });
    expect(tweaked.status).toBe(422);
    expect((await post(gw, ask("the original"), { "idempotency-key": key })).headers["idempotent-replayed"]).toBe("true");
    expect(calls()).toBe(1);
  });

  test("two API keys using the same Idempotency-Key never see each other's answers", async () => {
    const { key, calls } = scenario(json(), json());
    const one = await post(gw, ask("shared key"), { "idempotency-key": key });
    const two = await post(gw, ask("shared key"), { "idempotency-key": key, authorization: `Bearer ${K2}` });
    expect(calls()).toBe(2);
    expect(two.headers["idempotent-replayed"]).toBeUndefined();
    // Each key's retry replays its own first answer.
    expect((await post(gw, ask("shared key"), { "idempotency-key": key, authorization: `Bearer ${K2}` })).headers["x-tollgate-original-request-id"]).toBe(two.headers["x-request-id"]);
    expect((await post(gw, ask("shared key"), { "idempotency-key": key })).headers["x-tollgate-original-request-id"]).toBe(one.headers["x-request-id"]);
    expect(calls()).toBe(2);
  });

  test("a malformed key is a 400 before anything runs; a quoted sf-string key is the same key as its bare value", async () => {
    const before = upstream.requests.length;
    const bad = await post(gw, ask("bad key"), { "idempotency-key": "x".repeat(256) });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "invalid_idempotency_key", param: "idempotency-key" });
    expect(upstream.requests.length).toBe(before);

    const { key } = scenario(json());
    await post(gw, ask("quoted"), { "idempotency-key": `"${key}"` });
    expect((await post(gw, ask("quoted"), { "idempotency-key": key })).headers["idempotent-replayed"]).toBe("true");
  });
});

describe("failures", () => {
  test("an upstream 5xx frees the key: the retry runs and its answer is the one kept", async () => {
    const { key, calls } = scenario(FAILURE, FAILURE, json());
    const first = await post(gw, ask("flaky"), { "idempotency-key": key });
    expect(first.status).toBe(502);
    const retry = await post(gw, ask("flaky"), { "idempotency-key": key });
    expect(retry.status).toBe(200);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    const third = await post(gw, ask("flaky"), { "idempotency-key": key });
    expect(third.headers["x-tollgate-original-request-id"]).toBe(retry.headers["x-request-id"]);
    expect(calls()).toBe(3);
  });

  test("a provider's rejection of the request (400) is kept and replayed: it would only be rejected again", async () => {
    const { key, calls } = scenario({
      kind: "json",
      status: 400,
      body: { error: { message: "Unsupported parameter: 'max_tokens'", type: "invalid_request_error", param: "max_tokens", code: "unsupported_parameter" } },
    });
    const first = await post(gw, ask("rejected"), { "idempotency-key": key });
    const again = await post(gw, ask("rejected"), { "idempotency-key": key });
    expect(first.status).toBe(400);
    expect(again.status).toBe(400);
    expect(again.json()).toEqual(first.json());
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(calls()).toBe(1);
    // The body relays the provider's own code; the ledger records the registry's (src/errors/codes.ts).
    expect(first.json()).toMatchObject({ error: { code: "unsupported_parameter", param: "max_tokens" } });
    expect(await gw.recordOf(first.headers["x-request-id"])).toMatchObject({ outcome: "failed", status: 400, errorCode: "upstream_rejected_request" });
    expect(await gw.recordOf(again.headers["x-request-id"])).toMatchObject({ outcome: "failed", status: 400, errorCode: "upstream_rejected_request", cache: { kind: "idempotent", savedNanos: 0 } });
  });

  test("a client leaving mid-stream frees the key: the retry calls the upstream again and gets the whole answer", async () => {
    const { key, calls } = scenario(slowSse(20), sse());
    const controller = new AbortController();
    const res = await request(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${K1}`, "idempotency-key": key },
      body: JSON.stringify(ask("leave early", { stream: true })),
      signal: controller.signal,
    });
    let received = 0;
    try {
      for await (const bytes of res.body) {
        received += bytes.length;
        if (received > 1_000) controller.abort();
      }
    } catch {
      // The abort surfaces here.
    }
    expect((await gw.recordOf(res.headers["x-request-id"])).outcome).toBe("cancelled");

    const retry = await stream(gw, ask("leave early"), { "idempotency-key": key });
    expect(retry.status).toBe(200);
    expect(retry.content).toBe(TEXT);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    expect(calls()).toBe(2);
  });
});

describe("an unreachable store", () => {
  test("turns requests with a key away with 503 (running them could bill twice); requests without one still run", async () => {
    // Nothing listens on port 1: every command to this Redis fails.
    const down = await startGateway({ ...config({ store: "redis" }), redis: { url: "redis://127.0.0.1:1", keyPrefix: "unreachable" } }, { env: { K1, K2 } });
    extra.push(down);
    const before = upstream.requests.length;
    const refused = await post(down, ask("store down"), { "idempotency-key": randomUUID() });
    expect(refused.status).toBe(503);
    expect(refused.json().error).toMatchObject({ code: "idempotency_store_unavailable", type: "server_error" });
    expect(refused.headers["retry-after"]).toBe("1");
    expect(upstream.requests.length).toBe(before);
    upstream.enqueue(json());
    expect((await post(down, ask("store down"), {})).status).toBe(200);
  });
});

describe("concurrent duplicates", () => {
  test("wait for the first one and all get its answer from one upstream call", async () => {
    const { key, calls } = scenario(slowSse(2));
    // The first one streams (as the upstream's script does); the duplicates ask either way.
    const first = stream(gw, ask("together"), { "idempotency-key": key });
    await waitFor(() => calls() > 0, { message: "the first request never reached the upstream" });
    const streamed = await Promise.all(Array.from({ length: 4 }, () => stream(gw, ask("together"), { "idempotency-key": key })));
    const whole = await Promise.all(Array.from({ length: 4 }, () => post(gw, ask("together"), { "idempotency-key": key })));
    expect(calls()).toBe(1);
    expect((await first).content).toBe(TEXT);
    for (const answer of streamed) expect(answer.content).toBe(TEXT);
    for (const answer of whole) expect(answer.json().choices[0].message.content).toBe(TEXT);
    expect([...streamed, ...whole].every((a) => a.status === 200 && a.headers["idempotent-replayed"] === "true")).toBe(true);
  });

  test("get 409 idempotency_in_progress at once with onConcurrent: conflict, and the answer once it is done", async () => {
    const conflict = await start({ onConcurrent: "conflict" });
    const { key, calls } = scenario(slowSse(5));
    const first = stream(conflict, ask("one at a time"), { "idempotency-key": key });
    await waitFor(() => calls() > 0, { message: "the first request never reached the upstream" });
    const busy = await post(conflict, ask("one at a time"), { "idempotency-key": key });
    expect(busy.status).toBe(409);
    expect(busy.json().error).toMatchObject({ code: "idempotency_in_progress", param: "idempotency-key" });
    expect(busy.headers["retry-after"]).toBe("1");
    expect((await first).content).toBe(TEXT);
    expect((await post(conflict, ask("one at a time"), { "idempotency-key": key })).headers["idempotent-replayed"]).toBe("true");
    expect(calls()).toBe(1);
  });

  test("that wait longer than waitTimeoutMs get 409, and the key is taken by nobody once the first one leaves", async () => {
    const short = await start({ waitTimeoutMs: 200 });
    const { key, calls } = scenario({ kind: "hang" }, json());
    const leave = new AbortController();
    const first = request(`${short.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${K1}`, "idempotency-key": key },
      body: JSON.stringify(ask("slow one")),
      signal: leave.signal,
    });
    first.catch(() => undefined);
    await waitFor(() => calls() > 0, { message: "the first request never reached the upstream" });
    const waited = await post(short, ask("slow one"), { "idempotency-key": key });
    expect(waited.status).toBe(409);
    expect(waited.json().error.message).toContain("after waiting 200 ms");
    leave.abort();
    await waitFor(() => short.records.some((r) => r.outcome === "cancelled"), { message: "the first request was never cancelled" });
    const retry = await post(short, ask("slow one"), { "idempotency-key": key });
    expect(retry.status).toBe(200);
    expect(calls()).toBe(2);
  });
});

describe("upstream idempotency keys", () => {
  test("stay the same across Tollgate's retries and the client's, derive from the client's key, and differ per request", async () => {
    const { key } = scenario(FAILURE, FAILURE, FAILURE, json(), FAILURE, json());
    const before = upstream.requests.length;
    // Two attempts fail (Tollgate retried once), the client retries with its key, the second attempt succeeds.
    expect((await post(gw, ask("keyed upstream"), { "idempotency-key": key })).status).toBe(502);
    expect((await post(gw, ask("keyed upstream"), { "idempotency-key": key })).status).toBe(200);
    // Without a client key, Tollgate's own retry still repeats its key.
    expect((await post(gw, ask("keyed upstream"), {})).status).toBe(200);
    const sent = upstream.requests.slice(before).map((r) => r.headers["idempotency-key"]);
    expect(sent).toHaveLength(6);
    expect(sent[0]).toMatch(/^tg-[0-9a-f]{64}$/);
    expect(sent.slice(0, 4)).toEqual(Array(4).fill(sent[0]));
    expect(sent[4]).toMatch(/^tg-/);
    expect(sent[5]).toBe(sent[4]);
    expect(sent[4]).not.toBe(sent[0]);
    expect(sent).not.toContain(key);
  });

  test("are not sent to a provider configured without an idempotency header", async () => {
    const plain = await startGateway({ providers: { up: { type: "openai", baseURL: upstream.url } }, models: { fast: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } } });
    extra.push(plain);
    upstream.enqueue(json());
    const res = await request(`${plain.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": randomUUID() },
      body: JSON.stringify(ask("no header")),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(upstream.requests.at(-1)!.headers).not.toHaveProperty("idempotency-key");
  });
});

describe("the openai SDK", () => {
  test("sends Idempotency-Key through request options; its retry of the same call gets the first completion", async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: K1, maxRetries: 0 });
    const { key, calls } = scenario(json());
    const body = { model: "fast", messages: [{ role: "user" as const, content: "sdk call" }] };
    const first = await client.chat.completions.create(body, { headers: { "Idempotency-Key": key } }).withResponse();
    const again = await client.chat.completions.create(body, { headers: { "Idempotency-Key": key } }).withResponse();
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get("idempotent-replayed")).toBe("true");
    expect(calls()).toBe(1);
    // The SDK's own idempotencyKey option sends nothing: openai-node leaves its idempotency header unset.
    upstream.enqueue(json());
    await client.chat.completions.create(body, { idempotencyKey: key });
    expect(calls()).toBe(2);
  });

  test("retries a 409 idempotency_in_progress on its own (after Retry-After) and receives the answer", async () => {
    const conflict = await start({ onConcurrent: "conflict" });
    const client = new OpenAI({ baseURL: conflict.baseURL, apiKey: K1, maxRetries: 8 });
    const { key, calls } = scenario(slowSse(3));
    const body = { model: "fast", messages: [{ role: "user" as const, content: "sdk retries 409" }] };
    const first = client.chat.completions.create({ ...body, stream: true }, { headers: { "Idempotency-Key": key } });
    await waitFor(() => calls() > 0, { message: "the first request never reached the upstream" });
    const second = await client.chat.completions.create(body, { headers: { "Idempotency-Key": key } }).withResponse();
    let text = "";
    for await (const chunk of await first) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(TEXT);
    expect(second.data.choices[0]!.message.content).toBe(TEXT);
    expect(second.response.headers.get("idempotent-replayed")).toBe("true");
    expect(calls()).toBe(1);
  });
});

describe.each(storeKinds)("the SQL store on %s", (kind) => {
  test("keeps a stored answer across a gateway restart", async () => {
    const db = await createTestDatabase(kind);
    try {
      const { key, calls } = scenario(json());
      const first = await startGateway({ ...config(), database: { url: db.url } }, { env: { K1, K2 } });
      const original = await post(first, ask("survive a restart"), { "idempotency-key": key });
      await first.close();
      const second = await startGateway({ ...config(), database: { url: db.url } }, { env: { K1, K2 } });
      try {
        const replayed = await post(second, ask("survive a restart"), { "idempotency-key": key });
        expect(replayed.status).toBe(200);
        expect(replayed.text).toBe(original.text);
        expect(replayed.headers["x-tollgate-original-request-id"]).toBe(original.headers["x-request-id"]);
        expect(calls()).toBe(1);
      } finally {
        await second.close();
      }
    } finally {
      await db.dispose();
    }
  });
});
