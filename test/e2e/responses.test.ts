import OpenAI from "openai";
import type { Response as OpenAIResponse, ResponseInputItem, ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import {
  chatSseBytes,
  expectedFromChatChunks,
  expectedFromChatResponse,
  loadChunks,
  loadJson,
  loadText,
  mulberry32,
  namedEventSseBytes,
  seedMessage,
  splitAtRandomOffsets,
  testSeed,
} from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { expectedFromResponsesBody, expectedFromResponsesChunks, splitResponsesStreams } from "../support/responses-fixtures.js";
import { postSse } from "../support/sse-client.js";
import { collectChatStream } from "../support/chat-stream.js";

// POST /v1/responses through a real gateway, with the official openai SDK (v6) as the
// client: (a) from a Responses upstream (pass-through), (b) from a Chat Completions
// upstream (translated), and (c) Chat Completions clients served by a Responses upstream.

const KEY = "tg-test-client-key-responses";
let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

/** The four turns of an agent's calculator run: three function calls, then the answer. */
const agentTurns = splitResponsesStreams(loadChunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt"));
const textTurn = agentTurns[3]!;
const errorStream = loadChunks("openai-responses/openai-error.1.chunks.txt");
const chatText = loadChunks("openai-chat/openai-text.chunks.txt");
const chatToolCall = loadChunks("openai-compatible/xai-tool-call.chunks.txt");

const noRetry = { retry: { maxRetries: 0 } };

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: {
        resp: { type: "openai", api: "responses", baseURL: upstream.url, apiKey: "env:UP_KEY" },
        chat: { type: "openai", baseURL: upstream.url, apiKey: "env:UP_KEY" },
        sim: { type: "simulator", ttftMs: 0, tokensPerSecond: 10_000, answerTokens: 12 },
      },
      models: {
        r: { ...noRetry, targets: [{ provider: "resp", model: "gpt-5.1-codex-max" }] },
        c: { ...noRetry, targets: [{ provider: "chat", model: "gpt-4.1-nano" }] },
        s: { targets: [{ provider: "sim", model: "sim" }] },
        fallback: {
          ...noRetry,
          targets: [
            { provider: "resp", model: "gpt-5-nano" },
            { provider: "chat", model: "gpt-4.1-nano" },
          ],
        },
      },
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: "sk-upstream-key-responses" } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const lastUpstream = () => upstream.requests.at(-1)!;
const headers = { authorization: `Bearer ${KEY}` };
const sseBody = (chunks: Buffer[]) => ({ kind: "sse" as const, chunks });
const jsonBody = (text: string) => ({ kind: "status" as const, status: 200, body: text, headers: { "content-type": "application/json" } });

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

function usageOf(events: ResponseStreamEvent[]) {
  const done = events.find((e): e is ResponseStreamEvent & { type: "response.completed" } => e.type === "response.completed");
  return done?.response.usage;
}

describe("(a) Responses upstream: pass-through", () => {
  test.each(agentTurns.map((t, i) => [i, t] as const))("turn %i: every event relayed byte for byte, under its name, and the recording's usage in the ledger", async (n, payloads) => {
    const expected = expectedFromResponsesChunks(payloads);
    const seed = testSeed();
    const rng = mulberry32(seed);
    for (const crlf of [false, true]) {
      upstream.enqueue(sseBody(splitAtRandomOffsets(namedEventSseBytes(payloads, { crlf }), rng, 40)));
      const res = await postSse(`${gw.baseURL}/responses`, { model: "r", input: "What is ((12 + 7) * 3) * 10?", stream: true, reasoning: { summary: "auto" } }, headers);
      const context = seedMessage(seed, `turn ${n} crlf=${crlf}`);
      expect(res.status, context).toBe(200);
      expect(res.headers["content-type"], context).toMatch(/^text\/event-stream/);
      expect(res.text, context).toBe(namedEventSseBytes(payloads).toString("utf8"));
      expect(lastUpstream().path, context).toBe("/v1/responses");
      // The client's body, unknown fields included, with the target's model.
      expect(lastUpstream().body, context).toEqual({ model: "gpt-5.1-codex-max", input: "What is ((12 + 7) * 3) * 10?", stream: true, reasoning: { summary: "auto" } });
      expect(lastUpstream().headers.authorization, context).toBe("Bearer sk-upstream-key-responses");
      const record = await gw.recordOf(res.headers["x-request-id"]);
      expect(record, context).toMatchObject({ api: "openai-responses", outcome: "complete", stream: true, usage: expected.usage });
    }
  });

  test("the SDK streams the text and reads response.completed's usage", async () => {
    const expected = expectedFromResponsesChunks(textTurn);
    upstream.enqueue(sseBody([namedEventSseBytes(textTurn)]));
    const events = await collect(await client.responses.create({ model: "r", input: "hi", stream: true }));
    expect(events.map((e) => e.type)).toEqual(textTurn.map((p) => (JSON.parse(p) as { type: string }).type));
    expect(events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("")).toBe(expected.text);
    expect(usageOf(events)).toMatchObject({ input_tokens: expected.usage!.inputTokens, output_tokens: expected.usage!.outputTokens });
  });

  test("non-stream: the body relayed byte for byte, its usage recorded", async () => {
    for (const fixture of ["openai-responses/openai-reasoning-encrypted-content.1.json", "openai-responses/parallel-tool-call-wrapper.1.json"]) {
      const text = loadText(fixture);
      const expected = expectedFromResponsesBody(JSON.parse(text));
      upstream.enqueue(jsonBody(text));
      const { data, response } = await client.responses.create({ model: "r", input: "hi" }).withResponse();
      expect(JSON.parse(JSON.stringify(data))).toMatchObject(JSON.parse(text));
      upstream.enqueue(jsonBody(text));
      const raw = await fetch(`${gw.baseURL}/responses`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ model: "r", input: "hi" }) });
      expect(await raw.text()).toBe(text);
      expect(data.output_text).toBe(expected.text ?? "");
      const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
      expect(record).toMatchObject({ outcome: "complete", stream: false, usage: expected.usage });
    }
  });

  test("a function-call round trip over four turns: output items go back as input, untouched", async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "calculator",
        description: "Arithmetic",
        parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" }, op: { type: "string" } }, required: ["a", "b", "op"], additionalProperties: false },
        strict: true,
      },
    ];
    const input: ResponseInputItem[] = [{ role: "user", content: "What is ((12 + 7) * 3) * 10? Use the calculator." }];
    const results: Record<string, number> = { add: 0, multiply: 0 };
    for (const [n, turn] of agentTurns.entries()) {
      const expected = expectedFromResponsesChunks(turn);
      upstream.enqueue(sseBody([namedEventSseBytes(turn)]));
      const stream = client.responses.stream({ model: "r", input, tools, include: ["reasoning.encrypted_content"], store: false });
      const final = await stream.finalResponse();
      // What the upstream got: the client's items as they were sent.
      expect(lastUpstream().body, `turn ${n}`).toMatchObject({ model: "gpt-5.1-codex-max", input: JSON.parse(JSON.stringify(input)), tools, stream: true, store: false });
      const calls = final.output.filter((o) => o.type === "function_call");
      expect(
        calls.map((c) => ({ id: c.call_id, name: c.name, arguments: c.arguments })),
        `turn ${n}`,
      ).toEqual(expected.toolCalls);
      if (calls.length === 0) {
        expect(final.output_text).toBe(expected.text);
        break;
      }
      input.push(...(final.output as ResponseInputItem[]));
      for (const call of calls) {
        const { a, b, op } = JSON.parse(call.arguments) as { a: number; b: number; op: string };
        results[op] = op === "add" ? a + b : a * b;
        input.push({ type: "function_call_output", call_id: call.call_id, output: String(results[op]) });
      }
    }
    expect(results).toEqual({ add: 19, multiply: 570 });
    expect(textTurn.join("")).toContain("570");
  });

  test("an error event before any content fails the target over to the next one", async () => {
    upstream.enqueue(sseBody([namedEventSseBytes(errorStream)]), sseBody([chatSseBytes(chatText)]));
    const { data: stream, response } = await client.responses.create({ model: "fallback", input: "hi", stream: true }).withResponse();
    const events = await collect(stream);
    expect(response.headers.get("x-tollgate-attempts")).toBe("2");
    expect(response.headers.get("x-tollgate-target")).toBe("chat/gpt-4.1-nano");
    expect(events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("")).toBe(expectedFromChatChunks(chatText).choices[0]!.text);
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.attempts.map((a) => a.errorCode ?? a.status)).toEqual(["upstream_error", "ok"]);
  });

  test("with no target left, the provider's error is the SDK's APIError, before any event", async () => {
    upstream.enqueue(sseBody([namedEventSseBytes(errorStream)]));
    const failed = client.responses.create({ model: "r", input: "hi", stream: true });
    await expect(failed).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(failed).rejects.toMatchObject({ status: 502 });
    await expect(failed).rejects.toThrow(/exceeded your current quota/);
  });

  test("an upstream error event after the first content is an error event: the SDK throws, and no response.completed", async () => {
    upstream.enqueue(sseBody([namedEventSseBytes([...textTurn.slice(0, 7), errorStream[2]!])]));
    const res = await postSse(`${gw.baseURL}/responses`, { model: "r", input: "hi", stream: true }, headers);
    expect(res.messages.map((m) => m.event)).toEqual([...textTurn.slice(0, 7).map((p) => (JSON.parse(p) as { type: string }).type), "error"]);
    const error = JSON.parse(res.payloads.at(-1)!) as Record<string, unknown>;
    expect(error).toMatchObject({ type: "error", code: "upstream_error", sequence_number: 7, error: { type: "upstream_error" } });
    expect(error.message).toMatch(/exceeded your current quota/);
    expect((await gw.recordOf(res.headers["x-request-id"])).outcome).toBe("failed");

    upstream.enqueue(sseBody([namedEventSseBytes([...textTurn.slice(0, 7), errorStream[2]!])]));
    let text = "";
    const consume = async () => {
      for await (const event of await client.responses.create({ model: "r", input: "hi", stream: true })) if (event.type === "response.output_text.delta") text += event.delta;
    };
    await expect(consume()).rejects.toThrow(/exceeded your current quota/);
    expect(text.length).toBeGreaterThan(0);
  });

  test("a stream cut before its terminal event is an error event, never a response.completed", async () => {
    upstream.enqueue({ kind: "cut", chunks: [namedEventSseBytes(textTurn.slice(0, -1))] });
    const res = await postSse(`${gw.baseURL}/responses`, { model: "r", input: "hi", stream: true }, headers);
    expect(res.messages.at(-1)!.event).toBe("error");
    expect(res.messages.some((m) => m.event === "response.completed")).toBe(false);
    expect(JSON.parse(res.payloads.at(-1)!)).toMatchObject({ type: "error", code: "upstream_connection_error" });

    upstream.enqueue({ kind: "cut", chunks: [namedEventSseBytes(textTurn.slice(0, -1))] });
    await expect(client.responses.stream({ model: "r", input: "hi" }).finalResponse()).rejects.toThrow(/end marker|interrupted|closed/i);
  });
});

describe("(b) Chat Completions upstream: translated", () => {
  const weather: OpenAI.Responses.FunctionTool = {
    type: "function",
    name: "weather",
    description: "Weather for a location",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
    strict: false,
  };

  test("the SDK streams the text, and response.completed carries the usage", async () => {
    const expected = expectedFromChatChunks(chatText);
    const seed = testSeed();
    upstream.enqueue(sseBody(splitAtRandomOffsets(chatSseBytes(chatText), mulberry32(seed), 40)));
    const { data: stream, response } = await client.responses.create({ model: "c", input: "Invent a holiday", instructions: "Be festive.", max_output_tokens: 400, stream: true }).withResponse();
    const events = await collect(stream);
    const context = seedMessage(seed);
    expect(
      events.map((e) => e.sequence_number),
      context,
    ).toEqual(events.map((_, i) => i));
    expect(events[0]!.type, context).toBe("response.created");
    expect(events.at(-1)!.type, context).toBe("response.completed");
    expect(events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join(""), context).toBe(expected.choices[0]!.text);
    expect(usageOf(events), context).toEqual({
      input_tokens: 16,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 300,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 316,
    });
    // The upstream got a Chat Completions request: instructions as the system message.
    expect(lastUpstream().path).toBe("/v1/chat/completions");
    expect(lastUpstream().body).toEqual({
      model: "gpt-4.1-nano",
      messages: [
        { role: "system", content: "Be festive." },
        { role: "user", content: "Invent a holiday" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 400,
    });
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record).toMatchObject({ api: "openai-responses", outcome: "complete", usage: expected.usage });
  });

  test("a function-call round trip: the call streams as a function_call item, its output goes back as a tool message", async () => {
    const expected = expectedFromChatChunks(chatToolCall);
    upstream.enqueue(sseBody([chatSseBytes(chatToolCall)]));
    const input: ResponseInputItem[] = [{ role: "user", content: "What is the weather in San Francisco?" }];
    const stream = client.responses.stream({ model: "c", input, tools: [weather] });
    const argumentDeltas: string[] = [];
    stream.on("response.function_call_arguments.delta", (e) => argumentDeltas.push(e.delta));
    const final: OpenAIResponse = await stream.finalResponse();
    const call = final.output.find((o) => o.type === "function_call")!;
    expect({ id: call.call_id, name: call.name, arguments: call.arguments }).toEqual(expected.choices[0]!.toolCalls[0]);
    expect(argumentDeltas.join("")).toBe(call.arguments);
    const reasoning = final.output.find((o) => o.type === "reasoning");
    expect(reasoning?.summary.map((s) => s.text).join("")).toBe(expected.choices[0]!.reasoning);
    expect(final.status).toBe("completed");
    expect(final.usage).toMatchObject({
      input_tokens: expected.usage!.inputTokens,
      output_tokens: expected.usage!.outputTokens,
      output_tokens_details: { reasoning_tokens: expected.usage!.reasoningTokens },
    });
    expect(lastUpstream().body).toMatchObject({ tools: [{ type: "function", function: { name: "weather", description: "Weather for a location", parameters: weather.parameters, strict: false } }] });

    input.push(...(final.output as ResponseInputItem[]), { type: "function_call_output", call_id: call.call_id, output: '{"temperature":"18C","sky":"fog"}' });
    const answerText = loadText("openai-chat/openai-text.json");
    upstream.enqueue(jsonBody(answerText));
    const answer = await client.responses.create({ model: "c", input, tools: [weather] });
    const expectedAnswer = expectedFromChatResponse(JSON.parse(answerText));
    expect(answer.output_text).toBe(expectedAnswer.choices[0]!.text);
    expect(answer).toMatchObject({ object: "response", status: "completed", usage: { input_tokens: expectedAnswer.usage!.inputTokens, output_tokens: expectedAnswer.usage!.outputTokens } });
    // The reasoning item has no Chat Completions form; the call and its output do.
    expect((lastUpstream().body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "What is the weather in San Francisco?" },
      { role: "assistant", content: null, tool_calls: [{ id: call.call_id, type: "function", function: { name: "weather", arguments: call.arguments } }] },
      { role: "tool", content: '{"temperature":"18C","sky":"fog"}', tool_call_id: call.call_id },
    ]);
  });

  test("non-stream tool call: a Responses body built from the completion", async () => {
    const body = loadJson("openai-compatible/xai-tool-call.json");
    const expected = expectedFromChatResponse(body);
    upstream.enqueue(jsonBody(JSON.stringify(body)));
    const res = await client.responses.create({ model: "c", input: "Weather in SF?", tools: [weather] });
    expect(res.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    const call = res.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect({ id: call.call_id, name: call.name, arguments: call.arguments }).toEqual(expected.choices[0]!.toolCalls![0]);
    expect(res.usage).toEqual({
      input_tokens: 307,
      input_tokens_details: { cached_tokens: 244, cache_write_tokens: 0 },
      output_tokens: expected.usage!.outputTokens,
      output_tokens_details: { reasoning_tokens: 255 },
      total_tokens: 307 + expected.usage!.outputTokens,
    });
  });

  test("a failure after the first byte is an error event: the SDK throws, no response.completed", async () => {
    const cut = () => ({ kind: "cut" as const, chunks: [chatSseBytes(chatText.slice(0, 10)).subarray(0, -"data: [DONE]\n\n".length)] });
    upstream.enqueue(cut());
    const res = await postSse(`${gw.baseURL}/responses`, { model: "c", input: "hi", stream: true }, headers);
    expect(res.messages.at(-1)!.event).toBe("error");
    expect(res.messages.some((m) => m.event === "response.completed")).toBe(false);
    const events = res.payloads.map((p) => JSON.parse(p) as { sequence_number: number });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));

    upstream.enqueue(cut());
    let text = "";
    const consume = async () => {
      for await (const event of await client.responses.create({ model: "c", input: "hi", stream: true })) if (event.type === "response.output_text.delta") text += event.delta;
    };
    await expect(consume()).rejects.toThrow(/interrupted|closed the stream|connection/i);
    expect(text.length).toBeGreaterThan(0);
  });

  test("the built-in simulator answers Responses clients too", async () => {
    const stream = client.responses.stream({ model: "s", input: "Tell me about gateways" });
    let deltas = "";
    stream.on("response.output_text.delta", (e) => (deltas += e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text.length).toBeGreaterThan(0);
    expect(deltas).toBe(final.output_text);
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
  });

  test("tools Tollgate cannot run and stateful fields are refused with a 400 naming them", async () => {
    await expect(client.responses.create({ model: "c", input: "hi", tools: [{ type: "web_search_preview" }] })).rejects.toMatchObject({
      status: 400,
      code: "unsupported_tool_type",
      message: expect.stringMatching(/web_search_preview/),
    });
    await expect(client.responses.create({ model: "c", input: "hi", previous_response_id: "resp_1" })).rejects.toMatchObject({
      status: 400,
      param: "previous_response_id",
      message: expect.stringMatching(/Tollgate is stateless/),
    });
    await expect(client.responses.create({ model: "nope", input: "hi" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("(c) Chat Completions clients, Responses upstream", () => {
  test("streamed text, finish and usage as Chat Completions chunks", async () => {
    const expected = expectedFromResponsesChunks(textTurn);
    upstream.enqueue(sseBody([namedEventSseBytes(textTurn, { crlf: true })]));
    const stream = await client.chat.completions.create({
      model: "r",
      messages: [
        { role: "system", content: "Be exact." },
        { role: "user", content: "hi" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 50,
    });
    const { text, finish, usage } = await collectChatStream(stream);
    expect(text).toBe(expected.text);
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: expected.usage!.inputTokens, completion_tokens: expected.usage!.outputTokens });
    expect(lastUpstream().path).toBe("/v1/responses");
    expect(lastUpstream().body).toEqual({
      model: "gpt-5.1-codex-max",
      instructions: "Be exact.",
      input: [{ type: "message", role: "user", content: "hi" }],
      store: false,
      stream: true,
      max_output_tokens: 50,
    });
  });

  test("a streamed function call as tool_calls, and the round trip back as Responses items", async () => {
    const expected = expectedFromResponsesChunks(agentTurns[0]!);
    upstream.enqueue(sseBody([namedEventSseBytes(agentTurns[0]!)]));
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "calculator", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" }, op: { type: "string" } } } } },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Compute." }];
    const final = await client.chat.completions.stream({ model: "r", messages, tools }).finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!.map((c) => (c.type === "function" ? { id: c.id, name: c.function.name, arguments: c.function.arguments } : null));
    expect(calls).toEqual(expected.toolCalls);
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(lastUpstream().body).toMatchObject({ tools: [{ type: "function", name: "calculator", strict: false }] });

    messages.push(final.choices[0]!.message as OpenAI.ChatCompletionMessageParam, { role: "tool", tool_call_id: calls[0]!.id, content: "19" });
    upstream.enqueue(jsonBody(loadText("openai-responses/openai-reasoning-encrypted-content.1.json")));
    const answer = await client.chat.completions.create({ model: "r", messages, tools });
    const expectedBody = expectedFromResponsesBody(loadJson("openai-responses/openai-reasoning-encrypted-content.1.json"));
    expect(answer.choices[0]!.message.content).toBe(expectedBody.text);
    expect(answer.choices[0]!.finish_reason).toBe("stop");
    expect(answer.usage).toMatchObject({ prompt_tokens: 865, completion_tokens: 163, completion_tokens_details: { reasoning_tokens: 128 } });
    expect((lastUpstream().body as { input: unknown[] }).input).toEqual([
      { type: "message", role: "user", content: "Compute." },
      { type: "function_call", call_id: calls[0]!.id, name: "calculator", arguments: calls[0]!.arguments },
      { type: "function_call_output", call_id: calls[0]!.id, output: "19" },
    ]);
  });
});
