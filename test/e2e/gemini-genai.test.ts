import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type, type GenerateContentResponse } from "@google/genai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { waitFor } from "../support/fake-upstream.js";
import { loadText, mulberry32, testSeed } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { CLOUD_UPSTREAMS, createCloudUpstream, expectSameContent, read, readRecording, replay, UPSTREAM_KEY, UPSTREAMS, type Recording, type UpstreamKind } from "../support/matrix.js";

// Gemini's API in (POST /v1beta/models/{model}:generateContent and friends), with Google's own
// SDK, @google/genai, as the client over real sockets: against every upstream kind replaying
// its recordings (Gemini itself passed through, the others translated), and its countTokens,
// embeddings and errors.

const KEY = "tg-gemini-client-key-0123456789";
const OPENAI_MODEL = UPSTREAMS.find((k) => k.id === "openai")!.model;
/** Every kind, the clouds too: Bedrock's signatures and Vertex's tokens are checked by the fake upstream. */
const KINDS: UpstreamKind[] = [...UPSTREAMS, ...CLOUD_UPSTREAMS];
let upstream: Awaited<ReturnType<typeof createCloudUpstream>>;
let gw: TestGateway;
let ai: GoogleGenAI;

beforeAll(async () => {
  upstream = await createCloudUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: {
        ...Object.fromEntries(KINDS.map((k) => [k.id, k.provider(upstream)])),
        sim: { type: "simulator", ttftMs: 0 },
      },
      models: {
        ...Object.fromEntries(KINDS.map((k) => [k.id, { retry: { maxRetries: 0 }, targets: [{ provider: k.id, model: k.model }] }])),
        sim: { targets: [{ provider: "sim", model: "sim-1" }] },
        cached: { retry: { maxRetries: 0 }, cache: { exact: { ttlSeconds: 600 } }, targets: [{ provider: "anthropic", model: "claude-haiku-4-5" }] },
        "embed-openai": { targets: [{ provider: "openai", model: "text-embedding-3-small" }] },
        "embed-google": { targets: [{ provider: "google", model: "gemini-embedding-001" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: UPSTREAM_KEY } },
  );
  ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: gw.url } });
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  upstream?.cleanup();
});

const weather = {
  name: "weather",
  description: "Weather for a location",
  parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } }, required: ["location"] },
};

/** What the SDK handed the application, as the JSON Gemini's wire carries. */
const wire = (responses: GenerateContentResponse[]): unknown[] => responses.map((r) => JSON.parse(JSON.stringify({ candidates: r.candidates, usageMetadata: r.usageMetadata })));

const cases = KINDS.flatMap((kind) =>
  (["text", "tool"] as const).flatMap((what) =>
    [false, true].flatMap((stream) => {
      const recording = stream ? kind.recordings[what].stream : kind.recordings[what].body;
      return recording ? [[`${kind.label}, ${what}, ${stream ? "streamed" : "not streamed"}`, kind, what, stream, recording] as const] : [];
    }),
  ),
);

describe("@google/genai in, every upstream", () => {
  test.each(cases)("%s", async (_label, kind: UpstreamKind, what, stream, recording: Recording) => {
    upstream.enqueue(replay(kind.wire, recording, mulberry32(testSeed())));
    const expected = readRecording(kind.wire, recording);
    const recorded = gw.records.length;
    const request = {
      model: kind.id,
      contents: [{ role: "user", parts: [{ text: "What is the weather in Paris?" }] }],
      config: {
        systemInstruction: "Be brief.",
        maxOutputTokens: 300,
        ...(what === "tool" ? { tools: [{ functionDeclarations: [weather] }], toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } } } : {}),
      },
    };
    const responses: GenerateContentResponse[] = [];
    if (stream) for await (const chunk of await ai.models.generateContentStream(request)) responses.push(chunk);
    else responses.push(await ai.models.generateContent(request));
    const got = read(
      "gemini",
      true,
      wire(responses).map((o) => JSON.stringify(o)),
    );
    expectSameContent(got, expected, kind.label);
    expect(got.finish).toBe(expected.finish);
    expect(got.usage).toMatchObject({ inputTokens: expected.usage!.inputTokens, outputTokens: expected.usage!.outputTokens, reasoningTokens: expected.usage!.reasoningTokens });
    if (what === "tool" && kind.wire !== "gemini") {
      // Gemini matches a functionResponse to its call by id when both carry one: Tollgate names each translated call (Gemini's own pass as sent).
      for (const call of responses.flatMap((r) => r.functionCalls ?? [])) expect(call.id ?? "").not.toBe("");
    }

    // The ledger has the recording's usage too.
    await waitFor(() => gw.records.length > recorded, { message: "the request's record" });
    const record = gw.records.at(-1)!;
    expect(record).toMatchObject({ api: "gemini", route: kind.id, stream, outcome: "complete", status: 200 });
    expect(record.usage).toEqual(expected.usage);

    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe(kind.path(stream));
    if (Array.isArray(kind.auth)) expect(sent.headers[kind.auth[0]]).toBe(kind.auth[1]);
    else expect(kind.auth.checkedBy.accepted.at(-1)?.path).toBe(sent.path);
    if (kind.wire === "gemini") {
      // Same API: the SDK's body as sent (the model lives in the URL), not rebuilt.
      expect(sent.body).toMatchObject({ contents: request.contents, systemInstruction: { parts: [{ text: "Be brief." }] }, generationConfig: { maxOutputTokens: 300 } });
      expect(sent.body).not.toHaveProperty("model");
    }
  });

  test("a tool round trip through a translated upstream: the result reaches Anthropic paired with its call", async () => {
    const anthropic = UPSTREAMS.find((k) => k.id === "anthropic")!;
    upstream.enqueue(replay("messages", anthropic.recordings.tool.body!));
    const first = await ai.models.generateContent({ model: "anthropic", contents: "Weather in Paris?", config: { tools: [{ functionDeclarations: [weather] }] } });
    const call = first.functionCalls![0]!;
    upstream.enqueue(replay("messages", anthropic.recordings.text.body!));
    const second = await ai.models.generateContent({
      model: "anthropic",
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris?" }] },
        { role: "model", parts: [{ functionCall: call }] },
        { role: "user", parts: [{ functionResponse: { id: call.id!, name: call.name!, response: { sky: "fog", temperature: 18 } } }] },
      ],
      config: { tools: [{ functionDeclarations: [weather] }] },
    });
    expect(second.text).toBe(readRecording("messages", anthropic.recordings.text.body!).text);
    const sent = upstream.requests.at(-1)!.body as { messages: Array<{ role: string; content: Array<Record<string, unknown>> }>; tools: Array<Record<string, unknown>> };
    const toolUse = sent.messages[1]!.content.find((b) => b.type === "tool_use")!;
    const toolResult = sent.messages[2]!.content.find((b) => b.type === "tool_result")!;
    expect(toolUse).toMatchObject({ id: call.id, name: call.name, input: call.args });
    expect(toolResult).toMatchObject({ tool_use_id: call.id, content: JSON.stringify({ sky: "fog", temperature: 18 }) });
    // The SDK's upper-case OpenAPI types reach Anthropic as JSON Schema.
    expect(sent.tools[0]).toMatchObject({ name: "weather", input_schema: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } });
  });

  test("Gemini in, Gemini out: fields Tollgate does not model pass through untouched", async () => {
    const google = UPSTREAMS.find((k) => k.id === "google")!;
    upstream.enqueue(replay("gemini", google.recordings.text.body!));
    const config = {
      safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ONLY_HIGH" }],
      thinkingConfig: { thinkingBudget: 128, includeThoughts: true },
      tools: [{ googleSearch: {} }],
      labels: { team: "search" },
    } as const;
    const { sdkHttpResponse } = await ai.models.generateContent({ model: "google", contents: "Hello", config: config as never });
    const sent = upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ safetySettings: config.safetySettings, tools: config.tools, labels: config.labels, generationConfig: { thinkingConfig: config.thinkingConfig } });
    // The body came back byte for byte: nothing to report as dropped.
    expect(sdkHttpResponse?.headers?.["x-tollgate-dropped"]).toBeUndefined();
  });

  test("translated: what the target cannot take is named in x-tollgate-dropped", async () => {
    const openai = UPSTREAMS.find((k) => k.id === "openai")!;
    upstream.enqueue(replay("chat", openai.recordings.text.body!));
    const { sdkHttpResponse, text } = await ai.models.generateContent({
      model: "openai",
      contents: "Hello",
      config: { safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT" as never, threshold: "BLOCK_ONLY_HIGH" as never }], topK: 3 },
    });
    expect(text).toBe(readRecording("chat", openai.recordings.text.body!).text);
    expect(sdkHttpResponse?.headers?.["x-tollgate-dropped"]).toBe("generationConfig.topK, safetySettings");
  });
});

describe("@google/genai: the calls around generation", () => {
  test("countTokens: the tokenizer's count, marked estimated, with no upstream call", async () => {
    const before = upstream.requests.length;
    const { totalTokens, sdkHttpResponse } = await ai.models.countTokens({ model: "anthropic", contents: "How many tokens is this sentence?" });
    expect(totalTokens).toBeGreaterThan(3);
    expect(sdkHttpResponse?.headers?.["x-tollgate-token-count"]).toBe("estimated");
    expect(upstream.requests.length).toBe(before);
  });

  test("embedContent (batchEmbedContents under the SDK) from an OpenAI upstream and from Gemini", async () => {
    const recorded = JSON.parse(loadText("openai-embeddings/openai-embedding.json")) as { data: Array<{ embedding: number[] }> };
    upstream.enqueue({ kind: "json", status: 200, body: { ...recorded, data: [recorded.data[0]!, { ...recorded.data[0]!, index: 1 }] } });
    const out = await ai.models.embedContent({ model: "embed-openai", contents: ["first", "second"], config: { outputDimensionality: 8 } });
    expect(out.embeddings?.map((e) => e.values)).toEqual([recorded.data[0]!.embedding, recorded.data[0]!.embedding]);
    expect(upstream.requests.at(-1)!.body).toEqual({ model: "text-embedding-3-small", input: ["first", "second"], dimensions: 8 });

    upstream.enqueue({ kind: "json", status: 200, body: { embeddings: [{ values: [0.1, 0.2] }] } });
    const gemini = await ai.models.embedContent({ model: "embed-google", contents: "one", config: { taskType: "RETRIEVAL_QUERY" } });
    expect(gemini.embeddings?.[0]?.values).toEqual([0.1, 0.2]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    // The client's own fields reach Gemini.
    expect(sent.body).toEqual({ requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "one" }] }, taskType: "RETRIEVAL_QUERY" }] });
  });

  test("errors in Google's shape: a wrong key, an unknown model, a bad body", async () => {
    const stranger = new GoogleGenAI({ apiKey: "wrong-key", httpOptions: { baseUrl: gw.url } });
    const denied = await stranger.models.generateContent({ model: "sim", contents: "hi" }).catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(ApiError);
    expect((denied as ApiError).status).toBe(401);
    expect(JSON.parse((denied as ApiError).message)).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED", details: [{ reason: "invalid_api_key", domain: "tollgate" }] } });

    const missing = await ai.models.generateContent({ model: "no-such-model", contents: "hi" }).catch((err: unknown) => err);
    expect((missing as ApiError).status).toBe(404);
    expect(JSON.parse((missing as ApiError).message)).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });

    const res = await fetch(`${gw.url}/v1beta/models/sim:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "robot", parts: [] }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT", details: [{ reason: "invalid_request", metadata: { param: "contents[0].role" } }] } });
  });
});

describe("the pipeline's features on the Gemini path", () => {
  test("a response schema: the answer is validated against it, whatever the upstream", async () => {
    const schema = { type: Type.OBJECT, properties: { city: { type: Type.STRING }, sunny: { type: Type.BOOLEAN } }, required: ["city", "sunny"] };
    upstream.enqueue({
      kind: "json",
      status: 200,
      body: {
        id: "chatcmpl-schema",
        object: "chat.completion",
        created: 1,
        model: OPENAI_MODEL,
        choices: [{ index: 0, message: { role: "assistant", content: '{"city":"Paris","sunny":false}' }, finish_reason: "stop" }],
        usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
      },
    });
    const answer = await ai.models.generateContent({ model: "openai", contents: "Weather in Paris as JSON", config: { responseMimeType: "application/json", responseSchema: schema } });
    expect(JSON.parse(answer.text!)).toEqual({ city: "Paris", sunny: false });
    // Asked of the Chat Completions upstream its own way: a JSON Schema response format.
    expect((upstream.requests.at(-1)!.body as { response_format: unknown }).response_format).toMatchObject({
      type: "json_schema",
      json_schema: { schema: { type: "object", properties: { city: { type: "string" }, sunny: { type: "boolean" } } } },
    });
  });

  test("the exact cache: the same request again is answered from the store, streamed or not, with one upstream call", async () => {
    const anthropic = UPSTREAMS.find((k) => k.id === "anthropic")!;
    upstream.enqueue(replay("messages", anthropic.recordings.text.stream!));
    const expected = readRecording("messages", anthropic.recordings.text.stream!).text;
    const request = { model: "cached", contents: "A question worth caching", config: { maxOutputTokens: 200 } };
    let first = "";
    for await (const chunk of await ai.models.generateContentStream(request)) first += chunk.text ?? "";
    expect(first).toBe(expected);
    const before = upstream.requests.length;
    const again = await ai.models.generateContent(request);
    expect(again.text).toBe(expected);
    expect(again.sdkHttpResponse?.headers?.["x-tollgate-cache"]).toBe("hit");
    expect(upstream.requests.length).toBe(before);
  });

  test("a budget refuses in Google's shape (RESOURCE_EXHAUSTED) before any upstream call", async () => {
    const limited = await startGateway(
      {
        auth: { keys: ["env:CLIENT_KEY"] },
        budgets: { rules: [{ scope: "key", period: "day", requests: 1 }] },
        providers: { sim: { type: "simulator", ttftMs: 0 } },
        models: { sim: { targets: [{ provider: "sim", model: "sim-1" }] } },
      },
      { env: { CLIENT_KEY: KEY } },
    );
    try {
      const client = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: limited.url } });
      await client.models.generateContent({ model: "sim", contents: "one", config: { maxOutputTokens: 8 } });
      const refused = await client.models.generateContent({ model: "sim", contents: "two", config: { maxOutputTokens: 8 } }).catch((err: unknown) => err);
      expect((refused as ApiError).status).toBe(429);
      expect(JSON.parse((refused as ApiError).message)).toMatchObject({ error: { code: 429, status: "RESOURCE_EXHAUSTED" } });
      expect(limited.records.map((r) => [r.api, r.status])).toEqual([
        ["gemini", 200],
        ["gemini", 429],
      ]);
    } finally {
      await limited.close();
    }
  });
});

describe("the Gemini paths and keys", () => {
  test("the key in ?key=, metered like any request", async () => {
    const openai = UPSTREAMS.find((k) => k.id === "openai")!;
    upstream.enqueue(replay("chat", openai.recordings.text.body!));
    const res = await fetch(`${gw.url}/v1/models/openai:generateContent?key=${KEY}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "Hi" }] }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { candidates: Array<{ content: { parts: Array<{ text: string }> }; finishReason: string }>; usageMetadata: Record<string, number> };
    const expected = readRecording("chat", openai.recordings.text.body!);
    expect(body.candidates[0]!.content.parts[0]!.text).toBe(expected.text);
    expect(body.candidates[0]!.finishReason).toBe("STOP");
    const record = await gw.recordOf(res.headers.get("x-request-id") ?? undefined);
    expect(record).toMatchObject({
      api: "gemini",
      route: "openai",
      outcome: "complete",
      stream: false,
      usage: { inputTokens: expected.usage!.inputTokens, outputTokens: expected.usage!.outputTokens },
    });
    expect(body.usageMetadata).toMatchObject({ promptTokenCount: expected.usage!.inputTokens, totalTokenCount: expected.usage!.inputTokens + expected.usage!.outputTokens });
  });

  test("the SDK on apiVersion v1beta (its default is v1)", async () => {
    const openai = UPSTREAMS.find((k) => k.id === "openai")!;
    upstream.enqueue(replay("chat", openai.recordings.text.stream!));
    const v1beta = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: gw.url, apiVersion: "v1beta" } });
    let text = "";
    for await (const chunk of await v1beta.models.generateContentStream({ model: "openai", contents: "Hi" })) text += chunk.text ?? "";
    expect(text).toBe(readRecording("chat", openai.recordings.text.stream!).text);
  });

  test("the model catalogue: models.list and models.get over the configured routes", async () => {
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name!);
    expect(names).toContain("models/anthropic");
    expect(names).toContain("models/sim");
    const one = await ai.models.get({ model: "sim" });
    expect(one).toMatchObject({ name: "models/sim", displayName: "sim" });
    expect(one.supportedActions).toContain("generateContent");
    const missing = await ai.models.get({ model: "no-such-model" }).catch((err: unknown) => err);
    expect((missing as ApiError).status).toBe(404);
  });

  test("streamGenerateContent without alt=sse is refused (Tollgate writes Gemini's SSE framing only)", async () => {
    const res = await fetch(`${gw.url}/v1beta/models/sim:streamGenerateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "Hi" }] }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { status: "INVALID_ARGUMENT", details: [{ reason: "unsupported_parameter", metadata: { param: "alt" } }] } });
  });

  test("a method Gemini does not have, or GET on a method, is not served", async () => {
    const unknown = await fetch(`${gw.url}/v1beta/models/sim:predictLongRunning`, { method: "POST", headers: { "x-goog-api-key": KEY } });
    expect(unknown.status).toBe(404);
    const get = await fetch(`${gw.url}/v1beta/models/sim:generateContent`, { headers: { "x-goog-api-key": KEY } });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ error: { code: 405, status: "UNIMPLEMENTED" } });
  });
});
