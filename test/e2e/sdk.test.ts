import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, expectedFromChatChunks, loadChunks, loadText, mulberry32, splitAtRandomOffsets, testSeed } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// The official openai SDK (v6) as the client, over real sockets, against recorded upstreams.

let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;
const KEY = "tg-test-client-key-0123456789";

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "env:UP_KEY" } },
      models: { fast: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } },
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: "sk-upstream-key-abcdef" } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const weatherTool = {
  type: "function" as const,
  function: { name: "weather", description: "Weather for a location", parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } },
};

describe("openai SDK against the gateway", () => {
  test("streams text, and the usage chunk arrives only when asked for", async () => {
    const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
    const expected = expectedFromChatChunks(payloads);
    for (const includeUsage of [true, false]) {
      upstream.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(chatSseBytes(payloads), mulberry32(testSeed()), 30) });
      const stream = await client.chat.completions.create({
        model: "fast",
        messages: [{ role: "user", content: "Invent a holiday" }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let text = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(expected.choices[0]!.text);
      if (includeUsage) expect(usage).toMatchObject({ prompt_tokens: 16, completion_tokens: 300 });
      else expect(usage).toBeUndefined();
      // Upstream was always asked for usage, whatever the client said.
      expect(upstream.requests.at(-1)!.body).toMatchObject({ model: "gpt-4.1-nano", stream: true, stream_options: { include_usage: true } });
      expect(upstream.requests.at(-1)!.headers.authorization).toBe("Bearer sk-upstream-key-abcdef");
    }
  });

  test("non-stream: the completion and its usage, unchanged", async () => {
    const body = loadText("openai-chat/openai-text.json");
    upstream.enqueue({ kind: "status", status: 200, body, headers: { "content-type": "application/json" } });
    const { data, response } = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data).toEqual(JSON.parse(body));
    expect(response.headers.get("x-tollgate-target")).toBe("up/gpt-4.1-nano");
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record).toMatchObject({ outcome: "complete", stream: false, route: "fast", usage: { inputTokens: 16, outputTokens: 363, source: "reported" } });
    expect(record.identity?.keyId).toMatch(/^key_[0-9a-f]{12}$/);
  });

  test("a tool-call round trip: the model asks, the client answers, the model concludes", async () => {
    upstream.enqueue({ kind: "sse", chunks: [chatSseBytes(loadChunks("openai-compatible/xai-tool-call.chunks.txt"))] });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in San Francisco?" }];
    const stream = await client.chat.completions.create({ model: "fast", messages, tools: [weatherTool], stream: true });
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
    expect(calls).toEqual([{ id: "call_79382389", name: "weather", arguments: '{"location":"San Francisco"}' }]);
    // The tools reached the upstream as the client sent them.
    expect(upstream.requests.at(-1)!.body).toMatchObject({ tools: [weatherTool] });

    messages.push({ role: "assistant", content: null, tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) });
    messages.push({ role: "tool", tool_call_id: calls[0]!.id, content: '{"temperature":"18C","sky":"fog"}' });
    upstream.enqueue({ kind: "status", status: 200, body: loadText("openai-chat/openai-text.json"), headers: { "content-type": "application/json" } });
    const answer = await client.chat.completions.create({ model: "fast", messages, tools: [weatherTool] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    const sent = upstream.requests.at(-1)!.body as { messages: unknown[] };
    expect(sent.messages).toEqual(messages);
  });

  test("errors surface as the SDK's typed errors", async () => {
    const unknown = client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "hi" }] });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknown).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    const unauthorized = new OpenAI({ baseURL: gw.baseURL, apiKey: "wrong", maxRetries: 0 });
    await expect(unauthorized.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("a failure mid-stream is thrown by the SDK, not swallowed as a clean end", async () => {
    const payloads = loadChunks("openai-chat/openai-text.chunks.txt").slice(0, 10);
    upstream.enqueue({ kind: "cut", chunks: [chatSseBytes(payloads).subarray(0, -"data: [DONE]\n\n".length)] });
    const stream = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    };
    await expect(consume()).rejects.toThrow(/interrupted|closed the stream|connection/i);
    expect(text.length).toBeGreaterThan(0);
  });
});
