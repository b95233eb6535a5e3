import { apiId } from "../../src/apis/api-id.js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks, loadText, mulberry32, splitAtRandomOffsets, testSeed } from "../support/fixtures.js";
import { expectedFromGemini, geminiSseBytes } from "../support/gemini-fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// Chat Completions in (the official openai SDK), Gemini out: a fake upstream replays the
// recorded Gemini answers, so translation runs both ways over real sockets.

const KEY = "tg-test-client-key-0123456789";
const GOOGLE_KEY = "AIzaSyFAKE-google-key-0123456789";
const MODEL = "gemini-3-pro-preview";

let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { gem: { type: "google", baseURL: `${upstream.origin}/v1beta`, apiKey: "env:GOOGLE_KEY" } },
      models: { g: { targets: [{ provider: "gem", model: MODEL }], retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 } } },
    },
    { env: { CLIENT_KEY: KEY, GOOGLE_KEY } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const weatherTool = {
  type: "function" as const,
  function: {
    name: "weather",
    description: "Weather for a location",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"], additionalProperties: false },
  },
};

function lastUpstream() {
  return upstream.requests.at(-1)!;
}

describe("Chat Completions in, Gemini upstream", () => {
  test("streams text translated to chunks; usage as Gemini reported it; the key only in a header", async () => {
    const payloads = loadChunks("google/google-text.chunks.txt");
    const expected = expectedFromGemini(payloads.map((p) => JSON.parse(p)));
    for (const crlf of [false, true]) {
      upstream.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(geminiSseBytes(payloads, { crlf }), mulberry32(testSeed()), 20) });
      const { data: stream, response } = await client.chat.completions
        .create({
          model: "g",
          messages: [
            { role: "system", content: "Count carefully." },
            { role: "user", content: "How many r's in strawberry?" },
          ],
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      let text = "";
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      let id = "";
      for await (const chunk of stream) {
        id ||= chunk.id;
        text += chunk.choices[0]?.delta?.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(expected.candidates[0]!.text);
      expect(finish).toBe("stop");
      expect(id).toBe(apiId("chatcmpl-", expected.responseId));
      expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 23 + 185, completion_tokens_details: { reasoning_tokens: 185 } });

      const sent = lastUpstream();
      expect(sent.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`);
      expect(sent.headers["x-goog-api-key"]).toBe(GOOGLE_KEY);
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.path).not.toContain(GOOGLE_KEY);
      expect(sent.body).toEqual({ systemInstruction: { parts: [{ text: "Count carefully." }] }, contents: [{ role: "user", parts: [{ text: "How many r's in strawberry?" }] }] });

      const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
      expect(record).toMatchObject({ outcome: "complete", stream: true, route: "g", usage: expected.usage });
      expect(record.attempts).toHaveLength(1);
    }
  });

  test("non-stream: a chat.completion from generateContent", async () => {
    const body = loadText("google/google-text.json");
    const expected = expectedFromGemini([JSON.parse(body)]);
    upstream.enqueue({ kind: "status", status: 200, body, headers: { "content-type": "application/json" } });
    const { data, response } = await client.chat.completions
      .create({ model: "g", messages: [{ role: "user", content: "How many r's in strawberry?" }], max_tokens: 500, temperature: 0.5 })
      .withResponse();
    expect(data).toMatchObject({
      object: "chat.completion",
      id: apiId("chatcmpl-", expected.responseId),
      model: expected.modelVersion,
      choices: [{ index: 0, message: { role: "assistant", content: expected.candidates[0]!.text }, finish_reason: "stop" }],
    });
    expect(data.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 28 + 244, total_tokens: 9 + 28 + 244 });
    expect(lastUpstream().path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(lastUpstream().body).toMatchObject({ generationConfig: { maxOutputTokens: 500, temperature: 0.5 } });
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.usage).toEqual(expected.usage);
  });

  test("a streamed tool call, then the round trip with its result", async () => {
    upstream.enqueue({ kind: "sse", chunks: [geminiSseBytes(loadChunks("google/google-tool-call.chunks.txt"))] });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in San Francisco?" }];
    const stream = await client.chat.completions.create({ model: "g", messages, tools: [weatherTool], tool_choice: "auto", stream: true });
    const calls: { id: string; name: string; arguments: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta?.tool_calls ?? []) {
        const slot = (calls[delta.index] ??= { id: "", name: "", arguments: "" });
        if (delta.id) slot.id = delta.id;
        if (delta.function?.name) slot.name += delta.function.name;
        slot.arguments += delta.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(calls).toEqual([{ id: expect.stringMatching(/^call_/), name: "weather", arguments: '{"location":"San Francisco"}' }]);
    expect(lastUpstream().body).toMatchObject({
      tools: [
        { functionDeclarations: [{ name: "weather", description: "Weather for a location", parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } }] },
      ],
      toolConfig: { functionCallingConfig: { mode: "AUTO" } },
    });
    expect(JSON.stringify(lastUpstream().body)).not.toContain("additionalProperties");

    const recordedSignature = expectedFromGemini(loadChunks("google/google-tool-call.chunks.txt").map((p) => JSON.parse(p))).candidates[0]!.calls[0]!.thoughtSignature;
    expect(recordedSignature).toBeTruthy();
    messages.push({ role: "assistant", content: null, tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) });
    messages.push({ role: "tool", tool_call_id: calls[0]!.id, content: '{"temperature":"18C","sky":"fog"}' });
    upstream.enqueue({ kind: "status", status: 200, body: loadText("google/google-text.json"), headers: { "content-type": "application/json" } });
    const answer = await client.chat.completions.create({ model: "g", messages, tools: [weatherTool] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    expect((lastUpstream().body as { contents: unknown }).contents).toEqual([
      { role: "user", parts: [{ text: "What is the weather in San Francisco?" }] },
      // The call's own thought signature, carried in its id, goes back to Gemini (not the stand-in).
      { role: "model", parts: [{ functionCall: { name: "weather", args: { location: "San Francisco" } }, thoughtSignature: recordedSignature }] },
      { role: "user", parts: [{ functionResponse: { name: "weather", response: { temperature: "18C", sky: "fog" } } }] },
    ]);
  });

  test("non-stream tool call", async () => {
    upstream.enqueue({ kind: "status", status: 200, body: loadText("google/google-tool-call.json"), headers: { "content-type": "application/json" } });
    const answer = await client.chat.completions.create({ model: "g", messages: [{ role: "user", content: "Weather in SF?" }], tools: [weatherTool] });
    expect(answer.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { content: null, tool_calls: [{ type: "function", id: expect.stringMatching(/^call_/), function: { name: "weather", arguments: '{"location":"San Francisco"}' } }] },
    });
    expect(answer.usage).toMatchObject({ prompt_tokens: 29, completion_tokens: 15 + 893 });
  });

  test("tool arguments that are not JSON are the client's 400, and Gemini is never called", async () => {
    const before = upstream.requests.length;
    const bad = client.chat.completions.create({
      model: "g",
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: "{not json" } }] },
        { role: "tool", tool_call_id: "c1", content: "ok" },
      ],
    });
    await expect(bad).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(bad).rejects.toMatchObject({ status: 400, code: "invalid_tool_arguments", param: "messages[1].tool_calls[0].function.arguments" });
    expect(upstream.requests.length).toBe(before);
  });
});

describe("a Gemini stream has no end marker", () => {
  const payloads = loadChunks("google/google-text.chunks.txt");
  // The recording's finishReason is in its last frame: everything before it is an unfinished answer.
  const unfinished = payloads.slice(0, -1);

  test.each([
    ["closes cleanly", "sse"],
    ["is reset", "cut"],
  ] as const)("a stream that %s before its finishReason is an error, not a clean end", async (_label, kind) => {
    upstream.enqueue({ kind, chunks: [geminiSseBytes(unfinished)] });
    const { data: stream, response } = await client.chat.completions.create({ model: "g", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
    let text = "";
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    };
    await expect(consume()).rejects.toThrow(/interrupted|before the answer finished|connection/i);
    expect(text).toBe(expectedFromGemini(unfinished.map((p) => JSON.parse(p))).candidates[0]!.text);
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.outcome).toBe("failed");
    expect(record.attempts.at(-1)).toMatchObject({ status: "error", errorCode: "upstream_connection_error" });
    // The usage Gemini reported so far is kept.
    expect(record.usage).toMatchObject({ inputTokens: 9, source: "reported" });
  });

  test("an empty stream before any content is retried like any failed attempt", async () => {
    upstream.enqueue({ kind: "sse", chunks: [] }, { kind: "sse", chunks: [geminiSseBytes(payloads)] });
    const { data: stream, response } = await client.chat.completions.create({ model: "g", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(expectedFromGemini(payloads.map((p) => JSON.parse(p))).candidates[0]!.text);
    expect(response.headers.get("x-tollgate-attempts")).toBe("2");
  });
});

describe("Gemini's RetryInfo", () => {
  const body = loadText("google/google-429-retry-info.json");

  test("without Retry-After, the body's retryDelay (34.4 s) is the hint: beyond maxRetryAfterMs, so no wait, and the client is told 35 s", async () => {
    const before = upstream.requests.length;
    upstream.enqueue({ kind: "json", status: 429, body });
    const err = await client.chat.completions.create({ model: "g", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("35");
    expect((err as Error).message).toContain("You exceeded your current quota");
    expect(upstream.requests.length - before).toBe(1);
  });

  test("a Retry-After header wins over the body's hint", async () => {
    upstream.enqueue(
      { kind: "json", status: 429, body, headers: { "retry-after": "0" } },
      { kind: "status", status: 200, body: loadText("google/google-text.json"), headers: { "content-type": "application/json" } },
    );
    const { data, response } = await client.chat.completions.create({ model: "g", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(response.headers.get("x-tollgate-attempts")).toBe("2");
  });
});
