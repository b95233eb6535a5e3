import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { FakeGoogle } from "../support/fake-clouds.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks, loadText, mulberry32, namedEventSseBytes, seedMessage, splitAtRandomOffsets, testSeed } from "../support/fixtures.js";
import { expectedFromGemini, geminiSseBytes } from "../support/gemini-fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Vertex AI through a fake endpoint that accepts only the access tokens its fake OAuth
// endpoint issued, for JWT bearer grants signed by the service account's key (a throwaway
// RSA key made by the test, written to a temporary key file). Gemini answers are the
// recorded ones (streamed function-call arguments included), Claude's the Anthropic ones.

const KEY = "tg-vertex-client-key-0123456789";
const google = new FakeGoogle("/vertex/");
let upstream: FakeUpstream;
let gw: TestGateway;
let dir: string;

beforeAll(async () => {
  upstream = await createFakeUpstream({ gate: google.gate });
  dir = mkdtempSync(path.join(tmpdir(), "tollgate-vertex-"));
  const keyFile = path.join(dir, "service-account.json");
  writeFileSync(keyFile, google.keyFileJson);
  const retry = { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 };
  const vertex = { type: "vertex" as const, project: "my-proj", baseURL: `${upstream.origin}/vertex/v1`, keyFile, tokenURL: `${upstream.origin}${google.tokenPath}` };
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: {
        regional: { ...vertex, location: "europe-west4" },
        global: { ...vertex, location: "global" },
        fixed: { type: "vertex", project: "my-proj", location: "us-east5", baseURL: `${upstream.origin}/fixed/v1`, accessToken: "env:VERTEX_TOKEN" },
      },
      models: {
        gemini: { retry, targets: [{ provider: "regional", model: "gemini-3.1-pro-preview" }] },
        flash: { retry, targets: [{ provider: "global", model: "gemini-3-flash-preview" }] },
        claude: { retry, targets: [{ provider: "global", model: "claude-haiku-4-5@20251001" }] },
        fixed: { retry, targets: [{ provider: "fixed", model: "gemini-2.5-flash" }] },
        embed: { retry, targets: [{ provider: "regional", model: "text-embedding-005" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, VERTEX_TOKEN: "ya29.static-proxy-token" } },
  );
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${KEY}` };
const TOOL = { type: "function", function: { name: "cookRecipe", parameters: { type: "object", properties: { recipe: { type: "object" } } } } };

describe("Vertex: Gemini with tokens from a service-account key", () => {
  test("Gemini 3's function call streamed in pieces reaches a Chat client as one call, with its thought signature in the id", async () => {
    const payloads = loadChunks("google/google-vertex-stream-tool-call-arguments-nested.1.chunks.txt");
    const expected = expectedFromGemini(payloads.map((p) => JSON.parse(p)));
    const seed = testSeed();
    upstream.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(geminiSseBytes(payloads), mulberry32(seed), 24) });
    const res = await postSse(
      `${gw.url}/v1/chat/completions`,
      { model: "gemini", messages: [{ role: "user", content: "A lasagna recipe, please." }], tools: [TOOL], stream: true, stream_options: { include_usage: true } },
      auth,
    );
    expect(res.status, seedMessage(seed, res.text.slice(0, 300))).toBe(200);
    const chunks = res.payloads
      .slice(0, -1)
      .map((p) => JSON.parse(p) as { choices: Array<{ delta: { tool_calls?: Array<{ index: number; id?: string; function: { name?: string; arguments: string } }> }; finish_reason: string | null }> });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    // One call, whole: one delta with its name, id and complete arguments.
    expect(calls).toHaveLength(1);
    expect(calls[0]!.function.name).toBe("cookRecipe");
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual(JSON.parse(expected.candidates[0]!.calls[0]!.arguments));
    expect(calls[0]!.id).toMatch(/^call_[0-9a-f]{24}__ts_[A-Za-z0-9_-]+$/);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["tool_calls"]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/vertex/v1/projects/my-proj/locations/europe-west4/publishers/google/models/gemini-3.1-pro-preview:streamGenerateContent?alt=sse");
    expect(google.accepted.at(-1)?.path).toBe(sent.path);
    expect(google.grants.at(-1)).toEqual({ iss: google.clientEmail, scope: "https://www.googleapis.com/auth/cloud-platform", aud: "https://oauth2.googleapis.com/token" });
    expect((await gw.recordOf(res.headers["x-request-id"])).usage).toEqual(expected.usage);

    // The next turn carries the call back: Gemini gets its own thought signature, not the stand-in.
    upstream.enqueue({ kind: "status", status: 200, body: loadText("google/google-text.json"), headers: { "content-type": "application/json" } });
    const next = await postSse(
      `${gw.url}/v1/chat/completions`,
      {
        model: "gemini",
        tools: [TOOL],
        messages: [
          { role: "user", content: "A lasagna recipe, please." },
          { role: "assistant", content: null, tool_calls: [{ id: calls[0]!.id, type: "function", function: { name: "cookRecipe", arguments: calls[0]!.function.arguments } }] },
          { role: "tool", tool_call_id: calls[0]!.id, content: '{"ok":true}' },
        ],
      },
      auth,
    );
    expect(next.status, next.text.slice(0, 300)).toBe(200);
    const replayed = (upstream.requests.at(-1)!.body as { contents: Array<{ parts: Array<{ thoughtSignature?: string }> }> }).contents[1]!.parts[0]!;
    expect(replayed.thoughtSignature).toBe(JSON.parse(payloads[0]!).candidates[0].content.parts[0].thoughtSignature);
  });

  test("a token that expires mid-run is replaced before the next request: no request is refused", async () => {
    const body = loadText("google/google-text.json");
    for (let i = 0; i < 3; i++) {
      upstream.enqueue({ kind: "status", status: 200, body, headers: { "content-type": "application/json" } });
      const res = await postSse(`${gw.url}/v1/chat/completions`, { model: "flash", messages: [{ role: "user", content: "hi" }] }, auth);
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(res.headers["x-tollgate-attempts"]).toBe("1");
      expect(upstream.requests.at(-1)!.path).toBe("/vertex/v1/projects/my-proj/locations/global/publishers/google/models/gemini-3-flash-preview:generateContent");
      // Time passes for the fake: every token issued so far stops working.
      google.expireIssued();
    }
    expect(google.refused).toEqual([]);
    expect(new Set(google.accepted.slice(-3).map((a) => a.token)).size).toBe(3);
  });

  test("a static access token is sent as it is", async () => {
    upstream.enqueue({ kind: "status", status: 200, body: loadText("google/google-text.json"), headers: { "content-type": "application/json" } });
    const res = await postSse(`${gw.url}/v1/chat/completions`, { model: "fixed", messages: [{ role: "user", content: "hi" }] }, auth);
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe("Bearer ya29.static-proxy-token");
    expect(upstream.requests.at(-1)!.path).toBe("/fixed/v1/projects/my-proj/locations/us-east5/publishers/google/models/gemini-2.5-flash:generateContent");
  });
});

describe("Vertex: Claude through streamRawPredict", () => {
  test("a Messages client's body reaches Claude with vertex-2023-10-16; Anthropic's events come back untouched", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt");
    upstream.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(namedEventSseBytes(payloads), mulberry32(testSeed()), 24) });
    const sent = { model: "claude", max_tokens: 200, stream: true, messages: [{ role: "user", content: "How many r's in strawberry?" }], metadata: { user_id: "u1" } };
    const res = await postSse(`${gw.url}/v1/messages`, sent, { "x-api-key": KEY, "anthropic-version": "2023-06-01" });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.payloads).toEqual(payloads);
    const upstreamRequest = upstream.requests.at(-1)!;
    expect(upstreamRequest.path).toBe("/vertex/v1/projects/my-proj/locations/global/publishers/anthropic/models/claude-haiku-4-5%4020251001:streamRawPredict");
    const { model: _model, ...rest } = sent;
    expect(upstreamRequest.body).toEqual({ anthropic_version: "vertex-2023-10-16", ...rest });
  });

  test("a Chat client reaches Claude through rawPredict, translated both ways", async () => {
    upstream.enqueue({ kind: "status", status: 200, body: loadText("anthropic/anthropic-text.json"), headers: { "content-type": "application/json" } });
    const res = await postSse(`${gw.url}/v1/chat/completions`, { model: "claude", messages: [{ role: "user", content: "hi" }], max_tokens: 50 }, auth);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(upstream.requests.at(-1)!.path).toMatch(/:rawPredict$/);
    expect(upstream.requests.at(-1)!.body).toEqual({ anthropic_version: "vertex-2023-10-16", max_tokens: 50, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
    const anthropicBody = JSON.parse(loadText("anthropic/anthropic-text.json")) as { content: Array<{ type: string; text?: string }> };
    expect((JSON.parse(res.text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
      anthropicBody.content
        .filter((b) => b.type === "text")
        .map((b) => b.text)
        .join(""),
    );
  });
});

describe("Vertex: embeddings", () => {
  test("predict, one instance per text; the token counts are the usage", async () => {
    upstream.enqueue({
      kind: "json",
      status: 200,
      body: {
        predictions: [{ embeddings: { values: [0.5, 0.5], statistics: { token_count: 2, truncated: false } } }, { embeddings: { values: [1, 0], statistics: { token_count: 4, truncated: false } } }],
      },
    });
    const res = await postSse(`${gw.url}/v1/embeddings`, { model: "embed", input: ["hi there", "a longer one"], dimensions: 2 }, auth);
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ data: [{ embedding: [0.5, 0.5] }, { embedding: [1, 0] }], usage: { prompt_tokens: 6 } });
    const sent = upstream.requests.at(-1)!;
    expect(sent).toMatchObject({
      path: "/vertex/v1/projects/my-proj/locations/europe-west4/publishers/google/models/text-embedding-005:predict",
      body: { instances: [{ content: "hi there" }, { content: "a longer one" }], parameters: { outputDimensionality: 2 } },
    });
    expect(google.accepted.at(-1)?.path).toBe(sent.path);
  });
});
