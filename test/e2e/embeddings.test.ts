import { internalsOf } from "../../src/gateway.js";
import { countTokens } from "gpt-tokenizer";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, waitFor, type FakeUpstream } from "../support/fake-upstream.js";
import { loadText } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// POST /v1/embeddings through the whole pipeline (auth, route, budgets, dispatch, meter and
// ledger), with the official openai SDK as the client and recorded or scripted upstreams.

const KEY = "tg-test-client-key-0123456789";
const RECORDING = loadText("openai-embeddings/openai-embedding.json");
const recorded = JSON.parse(RECORDING) as { data: Array<{ index: number; embedding: number[] }>; model: string; usage: { prompt_tokens: number; total_tokens: number } };

let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      // A token budget far below a chat request's worst case (4096 output tokens), ample for embeddings.
      budgets: { rules: [{ scope: "key", period: "day", tokens: 2000 }] },
      providers: {
        oa: { type: "openai", baseURL: upstream.url, apiKey: "env:OA_KEY" },
        az: { type: "azure-openai", endpoint: upstream.origin, apiKey: "env:AZ_KEY", deployments: { "text-embedding-3-small": "emb-prod" } },
        gem: { type: "google", baseURL: `${upstream.origin}/v1beta`, apiKey: "env:G_KEY" },
        claude: { type: "anthropic", baseURL: upstream.url, apiKey: "env:OA_KEY" },
        sim: { type: "simulator", ttftMs: 0 },
      },
      models: {
        embed: { targets: [{ provider: "oa", model: "text-embedding-3-small" }] },
        "embed-azure": { targets: [{ provider: "az", model: "text-embedding-3-small" }] },
        "embed-gemini": { targets: [{ provider: "gem", model: "gemini-embedding-001" }] },
        "embed-fallback": {
          targets: [
            { provider: "oa", model: "text-embedding-3-small" },
            { provider: "gem", model: "gemini-embedding-001" },
          ],
          retry: { maxRetries: 0 },
        },
        chat: { targets: [{ provider: "claude", model: "claude-sonnet-4-5" }] },
        mixed: {
          targets: [
            { provider: "oa", model: "text-embedding-3-small" },
            { provider: "claude", model: "claude-sonnet-4-5" },
          ],
        },
        sim: { targets: [{ provider: "sim", model: "sim-embed" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, OA_KEY: "sk-upstream-key-abcdef", AZ_KEY: "azure-key-0123456789", G_KEY: "AIzaSyFAKE-google-key-0123456789" } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const recordingJson = () => ({ kind: "status" as const, status: 200, body: RECORDING, headers: { "content-type": "application/json" } });

async function ledgerRow(id: string | null) {
  const sql = await internalsOf(gw.gateway).services.store();
  let rows: Array<Record<string, unknown>> = [];
  await waitFor(
    async () => {
      rows = await sql.query("SELECT route, api, stream, outcome, input_tokens, output_tokens, usage_source, provider, model FROM tollgate_ledger_requests WHERE id = $1", [id]);
      return rows.length === 1;
    },
    { message: `ledger row for ${id}` },
  );
  return rows[0]!;
}

describe("embeddings through an OpenAI upstream", () => {
  test("encoding_format float: the recorded body relayed byte for byte; the ledger records its prompt_tokens", async () => {
    upstream.enqueue(recordingJson());
    const { data, response } = await client.embeddings.create({ model: "embed", input: ["sunny day at the beach", "rainy day in the city"], encoding_format: "float" }).withResponse();
    expect(data).toEqual(recorded);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/v1/embeddings");
    expect(sent.headers.authorization).toBe("Bearer sk-upstream-key-abcdef");
    expect(sent.body).toEqual({ model: "text-embedding-3-small", input: ["sunny day at the beach", "rainy day in the city"], encoding_format: "float" });
    expect(response.headers.get("x-tollgate-target")).toBe("oa/text-embedding-3-small");

    const id = response.headers.get("x-request-id");
    const record = await gw.recordOf(id ?? undefined);
    expect(record).toMatchObject({ api: "openai-embeddings", route: "embed", stream: false, outcome: "complete" });
    expect(record.usage).toEqual({ inputTokens: recorded.usage.prompt_tokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
    expect(await ledgerRow(id)).toMatchObject({
      route: "embed",
      api: "openai-embeddings",
      outcome: "complete",
      input_tokens: 12,
      output_tokens: 0,
      usage_source: "reported",
      provider: "oa",
      model: "text-embedding-3-small",
    });
  });

  test("the SDK's default (base64): floats from upstream are encoded, and decode to the same float32 values", async () => {
    upstream.enqueue(recordingJson());
    const { data, response } = await client.embeddings.create({ model: "embed", input: ["sunny day at the beach", "rainy day in the city"] }).withResponse();
    // The SDK asked for base64 without being told to; the upstream was asked the same.
    expect(upstream.requests.at(-1)!.body).toMatchObject({ encoding_format: "base64" });
    expect(data.data.map((d) => d.embedding)).toEqual(recorded.data.map((d) => d.embedding.map(Math.fround)));
    expect(data.usage).toEqual(recorded.usage);
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.usage).toMatchObject({ inputTokens: 12, outputTokens: 0, source: "reported" });
  });

  test("an upstream that already answers in base64 is relayed untouched", async () => {
    const vector = [0.25, -0.5, 1];
    const b64 = Buffer.from(new Float32Array(vector).buffer).toString("base64");
    const body = JSON.stringify({ object: "list", data: [{ object: "embedding", index: 0, embedding: b64 }], model: "text-embedding-3-small", usage: { prompt_tokens: 3, total_tokens: 3 } });
    upstream.enqueue({ kind: "status", status: 200, body, headers: { "content-type": "application/json" } });
    const res = await request(`${gw.baseURL}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "embed", input: "abc", encoding_format: "base64" }),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(body);
  });

  test("token arrays and dimensions reach the upstream as sent", async () => {
    upstream.enqueue(recordingJson());
    await client.embeddings.create({
      model: "embed",
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      dimensions: 5,
      encoding_format: "float",
      user: "end-user-7",
    });
    expect(upstream.requests.at(-1)!.body).toEqual({
      model: "text-embedding-3-small",
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      dimensions: 5,
      encoding_format: "float",
      user: "end-user-7",
    });
  });

  test("Azure: the deployment in the path, the key in api-key", async () => {
    upstream.enqueue(recordingJson());
    const data = await client.embeddings.create({ model: "embed-azure", input: "hello", encoding_format: "float" });
    expect(data.data).toEqual(recorded.data);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/openai/deployments/emb-prod/embeddings?api-version=2024-10-21");
    expect(sent.headers["api-key"]).toBe("azure-key-0123456789");
    expect(sent.headers.authorization).toBeUndefined();
  });
});

describe("embeddings through Gemini", () => {
  const vectors = [
    [0.1, -0.2, 0.3],
    [0.4, 0.5, -0.6],
  ];
  const geminiAnswer = () => ({ kind: "json" as const, status: 200, body: { embeddings: vectors.map((values) => ({ values })) } });
  const inputs = ["sunny day at the beach", "rainy day in the city"];

  test("batchEmbedContents, written back in OpenAI's shape; usage counted and marked estimated", async () => {
    upstream.enqueue(geminiAnswer());
    const { data, response } = await client.embeddings.create({ model: "embed-gemini", input: inputs, dimensions: 3, encoding_format: "float" }).withResponse();
    const counted = inputs.reduce((n, t) => n + countTokens(t), 0);
    expect(data).toEqual({
      object: "list",
      data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
      model: "embed-gemini",
      usage: { prompt_tokens: counted, total_tokens: counted },
    });
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(sent.headers["x-goog-api-key"]).toBe("AIzaSyFAKE-google-key-0123456789");
    expect(sent.body).toEqual({ requests: inputs.map((text) => ({ model: "models/gemini-embedding-001", content: { parts: [{ text }] }, outputDimensionality: 3 })) });
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.usage).toEqual({ inputTokens: counted, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" });
  });

  test("base64 when asked (the SDK's default)", async () => {
    upstream.enqueue(geminiAnswer());
    const data = await client.embeddings.create({ model: "embed-gemini", input: inputs });
    expect(data.data.map((d) => d.embedding)).toEqual(vectors.map((v) => v.map(Math.fround)));
  });

  test("token arrays cannot be embedded by Gemini: 400, and no call", async () => {
    const before = upstream.requests.length;
    await expect(client.embeddings.create({ model: "embed-gemini", input: [[1, 2, 3]] })).rejects.toMatchObject({ status: 400, code: "unsupported_input" });
    expect(upstream.requests.length).toBe(before);
  });

  test("falls back from a failing OpenAI target to Gemini", async () => {
    upstream.enqueue({ kind: "json", status: 503, body: { error: { message: "overloaded", type: "server_error" } } }, geminiAnswer());
    const { data, response } = await client.embeddings.create({ model: "embed-fallback", input: inputs, encoding_format: "float" }).withResponse();
    expect(data.data.map((d) => d.embedding)).toEqual(vectors);
    expect(response.headers.get("x-tollgate-target")).toBe("gem/gemini-embedding-001");
    expect(response.headers.get("x-tollgate-attempts")).toBe("2");
  });
});

describe("what embeddings refuse", () => {
  async function post(body: unknown) {
    const res = await request(`${gw.baseURL}/embeddings`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.statusCode, body: (await res.body.json()) as { error: { code: string; message: string; param: string | null } } };
  }

  test("stream is a 400", async () => {
    const res = await post({ model: "embed", input: "x", stream: true });
    expect(res).toMatchObject({ status: 400, body: { error: { param: "stream" } } });
  });

  test.each([
    [{ model: "embed", input: "" }, "input"],
    [{ model: "embed", input: [] }, "input"],
    [{ model: "embed", input: [1, "a"] }, "input"],
    [{ model: "embed", input: "x", dimensions: 0 }, "dimensions"],
    [{ model: "embed", input: "x", encoding_format: "int8" }, "encoding_format"],
    [{ input: "x" }, "model"],
  ])("%j is a 400 naming %s", async (body, param) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe(param);
  });

  test("a route whose targets cannot embed is a 400 at routing time, naming the route", async () => {
    const before = upstream.requests.length;
    for (const route of ["chat", "mixed"]) {
      const err = await client.embeddings.create({ model: route, input: "x" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ code: "embeddings_not_supported" });
      expect((err as Error).message).toContain(`"${route}"`);
      expect((err as Error).message).toContain("claude/claude-sonnet-4-5 (anthropic)");
    }
    expect(upstream.requests.length).toBe(before);
  });
});

describe("the simulator embeds too, deterministically", () => {
  test("same text, same unit vector; dimensions honoured; usage counted", async () => {
    const a = await client.embeddings.create({ model: "sim", input: ["alpha", "beta"], dimensions: 8, encoding_format: "float" });
    const b = await client.embeddings.create({ model: "sim", input: "alpha", dimensions: 8 });
    expect(a.data).toHaveLength(2);
    expect(a.data[0]!.embedding).toHaveLength(8);
    expect(b.data[0]!.embedding).toEqual(a.data[0]!.embedding);
    expect(a.data[1]!.embedding).not.toEqual(a.data[0]!.embedding);
    expect(Math.hypot(...a.data[0]!.embedding)).toBeCloseTo(1, 5);
    expect(a.usage.prompt_tokens).toBe(countTokens("alpha") + countTokens("beta"));
  });

  test("budgets reserve only the input for embeddings: they pass where a chat request's worst case does not", async () => {
    const chat = await client.chat.completions.create({ model: "sim", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.RateLimitError);
    const ok = await client.embeddings.create({ model: "sim", input: "hi" });
    expect(ok.data).toHaveLength(1);
  });
});
