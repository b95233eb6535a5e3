import { apiId } from "../../src/apis/api-id.js";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectedFromAnthropicChunks, expectedFromAnthropicResponse } from "../support/anthropic-expected.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, expectedFromChatChunks, loadChunks, loadText, mulberry32, namedEventSseBytes, splitAtRandomOffsets, testSeed } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { collectChatStream } from "../support/chat-stream.js";

// The official Anthropic SDK as the client (x-api-key), over real sockets, against an
// Anthropic upstream (same format: frames pass through) and an OpenAI upstream (events
// translated), both replaying recordings; and the openai SDK against the Anthropic upstream.

let anthropicUp: FakeUpstream;
let openaiUp: FakeUpstream;
let gw: TestGateway;
let client: Anthropic;
let openai: OpenAI;
const KEY = "tg-test-anthropic-client-key-0123";

beforeAll(async () => {
  anthropicUp = await createFakeUpstream();
  openaiUp = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: {
        ant: { type: "anthropic", baseURL: anthropicUp.url, apiKey: "env:ANT_KEY", defaultMaxTokens: 1000 },
        oai: { type: "openai", baseURL: openaiUp.url, apiKey: "env:OAI_KEY" },
      },
      models: {
        claude: { retry: { maxRetries: 0 }, targets: [{ provider: "ant", model: "claude-sonnet-4-5" }] },
        gpt: { retry: { maxRetries: 0 }, targets: [{ provider: "oai", model: "gpt-4.1-nano" }] },
        "claude-retry": { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 }, targets: [{ provider: "ant", model: "claude-sonnet-4-5" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, ANT_KEY: "sk-ant-upstream-key-abcdef", OAI_KEY: "sk-openai-upstream-key-abcdef" } },
  );
  client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await anthropicUp?.close();
  await openaiUp?.close();
});

const weatherTool: Anthropic.Tool = {
  name: "weather",
  description: "Weather for a location",
  input_schema: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
};

const sse = (payloads: string[]) => ({ kind: "sse" as const, chunks: splitAtRandomOffsets(namedEventSseBytes(payloads), mulberry32(testSeed()), 30) });
const json = (fixture: string) => ({ kind: "status" as const, status: 200, body: loadText(fixture), headers: { "content-type": "application/json" } });

describe("Anthropic SDK → gateway → Anthropic upstream (pass-through)", () => {
  test("streams: the SDK's final message and the ledger's usage are the recording's", async () => {
    const payloads = loadChunks("anthropic/anthropic-clear-thinking.1.chunks.txt");
    const expected = expectedFromAnthropicChunks(payloads);
    anthropicUp.enqueue(sse(payloads));
    const stream = client.messages.stream({
      model: "claude",
      max_tokens: 200,
      messages: [{ role: "user", content: "925 / 5?" }],
      thinking: { type: "enabled", budget_tokens: 100 },
    } as Anthropic.MessageCreateParamsStreaming);
    const seen: string[] = [];
    stream.on("streamEvent", (e) => seen.push(e.type));
    const message = await stream.finalMessage();
    const { response } = await stream.withResponse();
    expect(seen).toEqual(expected.types.filter((t) => t !== "ping"));
    expect(message.content).toEqual([
      { type: "thinking", thinking: expected.choices[0]!.reasoning, signature: expect.stringMatching(/^EvQB/) },
      { type: "text", text: expected.choices[0]!.text },
    ]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage).toMatchObject({ input_tokens: 69, output_tokens: 53 });
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record).toMatchObject({ outcome: "complete", stream: true, api: "anthropic-messages", route: "claude" });
    expect(record.usage).toEqual(expected.usage);
    // The client's body reached Anthropic as sent (thinking included), with the target's model.
    expect(anthropicUp.requests.at(-1)!.body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      messages: [{ role: "user", content: "925 / 5?" }],
      thinking: { type: "enabled", budget_tokens: 100 },
      stream: true,
    });
    expect(anthropicUp.requests.at(-1)!.headers["x-api-key"]).toBe("sk-ant-upstream-key-abcdef");
  });

  test("non-stream: the body unchanged, its usage recorded", async () => {
    const body = loadText("anthropic/anthropic-text.json");
    anthropicUp.enqueue(json("anthropic/anthropic-text.json"));
    const { data, response } = await client.messages.create({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "Hello" }] }).withResponse();
    expect(data).toEqual(JSON.parse(body));
    expect(response.headers.get("x-tollgate-target")).toBe("ant/claude-sonnet-4-5");
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.usage).toEqual(expectedFromAnthropicResponse(JSON.parse(body)).usage);
  });

  test("a tool round trip: tool_use from the model, tool_result back, both bodies forwarded as sent", async () => {
    anthropicUp.enqueue(sse(loadChunks("anthropic/anthropic-tool-no-args.chunks.txt")));
    const tool: Anthropic.Tool = { name: "updateIssueList", description: "Refresh the issue list", input_schema: { type: "object", properties: {} } };
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Update the issue list" }];
    const first = await client.messages.stream({ model: "claude", max_tokens: 300, messages, tools: [tool] }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(use).toMatchObject({ id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", name: "updateIssueList", input: {} });
    expect(anthropicUp.requests.at(-1)!.body).toMatchObject({ model: "claude-sonnet-4-5", tools: [tool], stream: true });

    messages.push({ role: "assistant", content: first.content as Anthropic.ContentBlockParam[] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "3 issues updated" }] });
    anthropicUp.enqueue(json("anthropic/anthropic-text.json"));
    const answer = await client.messages.create({ model: "claude", max_tokens: 300, messages, tools: [tool] });
    expect(answer.content[0]).toMatchObject({ type: "text" });
    const sent = anthropicUp.requests.at(-1)!.body as { messages: unknown[] };
    expect(sent.messages).toEqual(JSON.parse(JSON.stringify(messages)));
  });

  test("metadata.user_id attributes the request to the end user", async () => {
    anthropicUp.enqueue(json("anthropic/anthropic-text.json"));
    const { response } = await client.messages.create({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "Hi" }], metadata: { user_id: "end-user-42" } }).withResponse();
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.identity?.endUser).toBe("end-user-42");
  });
});

describe("Anthropic SDK → gateway → OpenAI upstream (translated)", () => {
  test("streams: text, stop_reason and usage from the Chat Completions recording", async () => {
    const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
    const expected = expectedFromChatChunks(payloads);
    openaiUp.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(chatSseBytes(payloads), mulberry32(testSeed()), 30) });
    const stream = client.messages.stream({
      model: "gpt",
      max_tokens: 500,
      system: "You invent holidays.",
      messages: [{ role: "user", content: "Invent a holiday" }],
      temperature: 0.5,
      stop_sequences: ["THE END"],
    });
    const message = await stream.finalMessage();
    const { response } = await stream.withResponse();
    expect(message.content).toEqual([{ type: "text", text: expected.choices[0]!.text }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.role).toBe("assistant");
    expect(message.usage).toMatchObject({ input_tokens: 16, output_tokens: 300, cache_read_input_tokens: 0 });
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.usage).toEqual(expected.usage);
    // The upstream got Chat Completions: system first, max tokens under OpenAI's name, usage asked for.
    expect(openaiUp.requests.at(-1)!.body).toEqual({
      model: "gpt-4.1-nano",
      messages: [
        { role: "system", content: "You invent holidays." },
        { role: "user", content: "Invent a holiday" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 500,
      temperature: 0.5,
      stop: ["THE END"],
    });
    expect(openaiUp.requests.at(-1)!.headers.authorization).toBe("Bearer sk-openai-upstream-key-abcdef");
  });

  test("non-stream: a Messages body built from the completion", async () => {
    const completion = JSON.parse(loadText("openai-chat/openai-text.json")) as { id: string; choices: Array<{ message: { content: string } }> };
    openaiUp.enqueue(json("openai-chat/openai-text.json"));
    const message = await client.messages.create({ model: "gpt", max_tokens: 500, messages: [{ role: "user", content: "Invent a holiday" }] });
    expect(message).toMatchObject({
      id: apiId("msg_", completion.id),
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: completion.choices[0]!.message.content }],
      stop_reason: "end_turn",
      usage: { input_tokens: 16, output_tokens: 363 },
    });
  });

  test("a tool round trip: tool_use translated from tool_calls, tool_result sent back as a tool message", async () => {
    openaiUp.enqueue({ kind: "sse", chunks: [chatSseBytes(loadChunks("openai-compatible/xai-tool-call.chunks.txt"))] });
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "What is the weather in San Francisco?" }];
    const first = await client.messages.stream({ model: "gpt", max_tokens: 300, messages, tools: [weatherTool], tool_choice: { type: "auto" } }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(use).toEqual({ type: "tool_use", id: "call_79382389", name: "weather", input: { location: "San Francisco" } });
    expect(openaiUp.requests.at(-1)!.body).toMatchObject({
      tools: [{ type: "function", function: { name: "weather", description: "Weather for a location", parameters: weatherTool.input_schema } }],
      tool_choice: "auto",
    });

    messages.push({ role: "assistant", content: first.content as Anthropic.ContentBlockParam[] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: '{"temperature":"18C"}' }] });
    openaiUp.enqueue(json("openai-chat/openai-text.json"));
    const answer = await client.messages.create({ model: "gpt", max_tokens: 300, messages, tools: [weatherTool] });
    expect(answer.stop_reason).toBe("end_turn");
    const sent = openaiUp.requests.at(-1)!.body as { messages: unknown[] };
    const assistantText = first.content
      .filter((b): b is Anthropic.TextBlock => b.type === "text")
      .map((b) => b.text)
      .join("");
    expect(sent.messages).toEqual([
      { role: "user", content: "What is the weather in San Francisco?" },
      { role: "assistant", content: assistantText || null, tool_calls: [{ id: "call_79382389", type: "function", function: { name: "weather", arguments: '{"location":"San Francisco"}' } }] },
      { role: "tool", content: '{"temperature":"18C"}', tool_call_id: "call_79382389" },
    ]);
  });
});

describe("openai SDK → gateway → Anthropic upstream (translated)", () => {
  test("streams text with usage; the upstream gets a Messages body", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt");
    const expected = expectedFromAnthropicChunks(payloads);
    anthropicUp.enqueue(sse(payloads));
    const stream = await openai.chat.completions.create({
      model: "claude",
      messages: [
        { role: "system", content: "Be nice." },
        { role: "user", content: "How are you?" },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await collectChatStream(stream);
    expect(text).toBe(expected.choices[0]!.text);
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 });
    expect(anthropicUp.requests.at(-1)!.body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 1000,
      system: "Be nice.",
      messages: [{ role: "user", content: [{ type: "text", text: "How are you?" }] }],
      stream: true,
    });
  });

  test("tool calls keep index 0 after a text block; finish_reason tool_calls", async () => {
    anthropicUp.enqueue(sse(loadChunks("anthropic/anthropic-tool-no-args.chunks.txt")));
    const runner = openai.chat.completions.stream({
      model: "claude",
      messages: [{ role: "user", content: "Update the issues" }],
      tools: [{ type: "function", function: { name: "updateIssueList", parameters: { type: "object", properties: {} } } }],
    });
    const completion = await runner.finalChatCompletion();
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("I'll update the issue list for you.");
    expect(choice.message.tool_calls).toHaveLength(1);
    expect(choice.message.tool_calls![0]).toMatchObject({ id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", type: "function", function: { name: "updateIssueList", arguments: "{}" } });
    // The Anthropic block index was 1 (after the text block); the Chat tool call index is 0.
    expect(anthropicUp.requests.at(-1)!.body).toMatchObject({ tools: [{ name: "updateIssueList", input_schema: { type: "object", properties: {} } }] });
  });

  test("non-stream: a chat completion built from the Messages body", async () => {
    anthropicUp.enqueue(json("anthropic/anthropic-clear-thinking.1.json"));
    const completion = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "925 / 5?" }], max_tokens: 300 });
    expect(completion.choices[0]!.message).toMatchObject({ role: "assistant", content: "925 ÷ 5 = 185" });
    expect((completion.choices[0]!.message as unknown as { reasoning_content?: string }).reasoning_content).toBe("925 divided by 5 = 185");
    expect(completion.usage).toMatchObject({ prompt_tokens: 69, completion_tokens: 33 });
    expect(anthropicUp.requests.at(-1)!.body).toMatchObject({ max_tokens: 300 });
  });

  test("a mid-stream Anthropic error reaches the openai SDK as an error, not a clean end", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt").slice(0, 5);
    anthropicUp.enqueue({ kind: "sse", chunks: [namedEventSseBytes([...payloads, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'])] });
    const stream = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    };
    await expect(consume()).rejects.toThrow(/overloaded_error.*Overloaded/);
    expect(text).toBe("Hello! I");
  });
});

describe("before the first byte", () => {
  test("an overloaded_error right after message_start is retried: message_start alone does not commit the answer", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt");
    anthropicUp.enqueue({ kind: "sse", chunks: [namedEventSseBytes([payloads[0]!, '{"type":"ping"}', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'])] }, sse(payloads));
    const stream = client.messages.stream({ model: "claude-retry", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    const message = await stream.finalMessage();
    const { response } = await stream.withResponse();
    expect(message.content).toEqual([{ type: "text", text: expectedFromAnthropicChunks(payloads).choices[0]!.text }]);
    expect(response.headers.get("x-tollgate-attempts")).toBe("2");
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.attempts.map((a) => [a.status, a.errorCode])).toEqual([
      ["error", "upstream_overloaded"],
      ["ok", undefined],
    ]);
  });
});

describe("failures after the first byte", () => {
  test("an overloaded_error event mid-stream is thrown by the SDK, with Anthropic's type", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt").slice(0, 6);
    anthropicUp.enqueue({ kind: "sse", chunks: [namedEventSseBytes([...payloads, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'])] });
    const stream = client.messages.stream({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const error = await stream.finalMessage().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ type: "overloaded_error", error: { type: "error", error: { type: "overloaded_error", message: expect.stringMatching(/Overloaded/) } } });
    expect(text).toBe("Hello! I'm doing well, thank you for asking");
    const { response } = await stream.withResponse();
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.outcome).toBe("failed");
    expect(record.usage?.source).toBe("estimated");
  });

  test("an Anthropic stream cut before message_stop ends with an error event, never message_stop", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt");
    anthropicUp.enqueue({ kind: "cut", chunks: [namedEventSseBytes(payloads.slice(0, -1))] });
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({ model: "claude", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const text = await res.text();
    expect(text).toContain("event: message_delta");
    expect(text).not.toContain("event: message_stop");
    expect(text.trimEnd().split("\n\n").at(-1)).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+"\}\}$/);

    anthropicUp.enqueue({ kind: "cut", chunks: [namedEventSseBytes(payloads.slice(0, -1))] });
    const stream = client.messages.stream({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  test("an OpenAI stream cut mid-answer reaches the Anthropic SDK as an error", async () => {
    const payloads = loadChunks("openai-chat/openai-text.chunks.txt").slice(0, 10);
    openaiUp.enqueue({ kind: "cut", chunks: [chatSseBytes(payloads).subarray(0, -"data: [DONE]\n\n".length)] });
    const stream = client.messages.stream({ model: "gpt", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(text.length).toBeGreaterThan(0);
  });
});

describe("keys", () => {
  test("x-api-key and Bearer are both accepted, on every API route", async () => {
    for (const auth of [{ "x-api-key": KEY }, { authorization: `Bearer ${KEY}` }] as Record<string, string>[]) {
      anthropicUp.enqueue(json("anthropic/anthropic-text.json"));
      const messages = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
      });
      expect(messages.status).toBe(200);
      openaiUp.enqueue(json("openai-chat/openai-text.json"));
      const chat = await fetch(`${gw.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(chat.status).toBe(200);
    }
    const missing = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "Missing API key: send Authorization: Bearer <key>, x-api-key: <key> or x-goog-api-key: <key>." },
    });
  });
});

describe("errors in Anthropic's shape", () => {
  test("the SDK's typed errors", async () => {
    await expect(client.messages.create({ model: "nope", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 404, type: "not_found_error" });
    await expect(client.messages.create({ model: "nope", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const stranger = new Anthropic({ baseURL: gw.url, apiKey: "wrong", maxRetries: 0 });
    await expect(stranger.messages.create({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const missing = client.messages.create({ model: "claude", messages: [{ role: "user", content: "hi" }] } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    await expect(missing).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(client.messages.create({ model: "claude", messages: [{ role: "user", content: "hi" }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)).rejects.toMatchObject({
      type: "invalid_request_error",
      error: { type: "error", error: { type: "invalid_request_error", message: "max_tokens: Field required" } },
    });
  });

  test("an upstream 529 is retried like any 5xx and then reported as an upstream failure", async () => {
    anthropicUp.enqueue({ kind: "json", status: 529, body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } });
    const err = await client.messages.create({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err).toMatchObject({ status: 502, type: "api_error" });
    expect((err as Error).message).toMatch(/Overloaded/);
  });
});
