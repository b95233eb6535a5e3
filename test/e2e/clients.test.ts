import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { type AIMessageChunk, HumanMessage, ToolMessage, type AIMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool, type LanguageModelUsage, type ToolSet } from "ai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import type { ExpectedUsage } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { readRecording, replay, UPSTREAM_KEY, UPSTREAMS, type Reading, type Recording, type UpstreamKind } from "../support/matrix.js";

// Client libraries against the gateway, over real sockets, with upstreams replaying
// recordings: the Vercel AI SDK (its OpenAI provider on Chat Completions and on the
// Responses API, and its Anthropic provider) and LangChain's ChatOpenAI, each streamed
// and not, each with a tool round trip (the library runs the tool and sends its result
// back), against an upstream of the client's own API (pass-through) and one of another
// (translated). Text, tool calls and usage are checked as each library reports them.

const KEY = "tg-clients-client-key-0123456789";
let upstream: FakeUpstream;
let gw: TestGateway;

const kind = (id: string) => UPSTREAMS.find((k) => k.id === id)!;
const OPENAI = kind("openai");
const RESPONSES = kind("openai-responses");
const ANTHROPIC = kind("anthropic");
const DEEPSEEK = kind("deepseek");
const GOOGLE = kind("google");

beforeAll(async () => {
  upstream = await createFakeUpstream();
  const kinds = [OPENAI, RESPONSES, ANTHROPIC, DEEPSEEK, GOOGLE];
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: Object.fromEntries(kinds.map((k) => [k.id, k.provider(upstream)])),
      models: Object.fromEntries(kinds.map((k) => [k.id, { retry: { maxRetries: 0 }, targets: [{ provider: k.id, model: k.model }] }])),
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: UPSTREAM_KEY } },
  );
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

type Turn = { kind: UpstreamKind; recording: Recording };
const rec = (k: UpstreamKind, what: "text" | "tool", stream: boolean): Turn => ({ kind: k, recording: (stream ? k.recordings[what].stream : k.recordings[what].body)! });
const expectedOf = ({ kind: k, recording }: Turn): Reading => readRecording(k.wire, recording);
const play = (...turns: Turn[]) => upstream.enqueue(...turns.map(({ kind: k, recording }) => replay(k.wire, recording)));
const lastSent = () => upstream.requests.at(-1)!.body as Record<string, unknown>;

/** A tool each library can run, named and shaped after the one the recording calls. */
const TOOL_RESULT = { sky: "fog", temperature: 18 };
const toolSchema = { type: "object" as const, properties: {}, additionalProperties: true };

/** The AI SDK's usage for a reading's canonical figures, as its OpenAI and Anthropic providers report them. */
function aiSdkUsage(u: ExpectedUsage, cacheWrites: boolean): Partial<LanguageModelUsage> {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.inputTokens + u.outputTokens,
    // A cache-write figure only where the answer carries one (Anthropic's; Responses usage Tollgate writes).
    inputTokenDetails: {
      noCacheTokens: u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens,
      cacheReadTokens: u.cachedInputTokens,
      cacheWriteTokens: cacheWrites ? u.cacheWriteTokens : undefined,
    },
  };
}

function sum(a: ExpectedUsage, b: ExpectedUsage): ExpectedUsage {
  return {
    ...a,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}

/** The tools for the AI SDK: the recording's tool, which returns TOOL_RESULT. */
function aiTools(name: string): ToolSet {
  return { [name]: tool({ description: `The ${name} tool`, inputSchema: jsonSchema<Record<string, unknown>>(toolSchema), execute: async () => TOOL_RESULT }) };
}

// ---------------------------------------------------------------------------
// Vercel AI SDK
// ---------------------------------------------------------------------------

type AiModel = Parameters<typeof generateText>[0]["model"];

interface AiCase {
  name: string;
  model: () => AiModel;
  /** The text answer and the tool call the upstream replays, per mode. */
  text: (stream: boolean) => Turn;
  tool: (stream: boolean) => Turn;
  /** Options the model needs (the Responses API: store false, see below). */
  providerOptions?: Parameters<typeof generateText>[0]["providerOptions"];
  /** The tool result as the upstream received it on the second step. */
  toolResultSent: (body: Record<string, unknown>) => unknown;
  /** A cache-write figure is reported: Anthropic's, and the Responses usage Tollgate writes (`input_tokens_details.cache_write_tokens`, required by OpenAI's schema). */
  cacheWrites?: boolean;
  /** Reasoning tokens are reported (Messages has no field for them). */
  reasoningTokens: boolean;
}

const openai = () => createOpenAI({ baseURL: gw.baseURL, apiKey: KEY });
const anthropic = () => createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: KEY });

const chatToolResult = (body: Record<string, unknown>) => (body.messages as { role: string; content: unknown }[]).find((m) => m.role === "tool")?.content;
const responsesToolResult = (body: Record<string, unknown>) => (body.input as { type?: string; output?: unknown }[]).find((i) => i.type === "function_call_output")?.output;
const messagesToolResult = (body: Record<string, unknown>) => {
  const turns = body.messages as { content: unknown }[];
  const blocks = turns.at(-1)!.content as { type: string; content?: unknown }[];
  return blocks.find((b) => b.type === "tool_result")?.content;
};
const asText = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : Array.isArray(v) ? JSON.parse((v as { text: string }[]).map((p) => p.text).join("")) : v);

const AI_CASES: AiCase[] = [
  {
    name: "createOpenAI().chat() → openai Chat Completions upstream (pass-through)",
    model: () => openai().chat("openai"),
    text: (s) => rec(OPENAI, "text", s),
    tool: (s) => rec(OPENAI, "tool", s),
    toolResultSent: chatToolResult,
    reasoningTokens: true,
  },
  {
    name: "createOpenAI().chat() → anthropic upstream (translated)",
    model: () => openai().chat("anthropic"),
    text: (s) => rec(ANTHROPIC, "text", s),
    tool: (s) => rec(ANTHROPIC, "tool", s),
    toolResultSent: messagesToolResult,
    reasoningTokens: true,
  },
  {
    // The AI SDK's Responses model refers to earlier output items by id (item_reference)
    // unless told the provider stores nothing: Tollgate is stateless, so store: false.
    name: "createOpenAI()(model) (Responses API) → Responses upstream (pass-through), store: false",
    model: () => openai()("openai-responses"),
    text: (s) => rec(RESPONSES, "text", s),
    tool: (s) => rec(RESPONSES, "tool", s),
    providerOptions: { openai: { store: false } },
    toolResultSent: responsesToolResult,
    reasoningTokens: true,
  },
  {
    name: "createOpenAI()(model) (Responses API) → DeepSeek Chat Completions upstream (translated), store: false",
    model: () => openai()("deepseek"),
    text: (s) => rec(DEEPSEEK, "text", s),
    tool: (s) => rec(DEEPSEEK, "tool", s),
    providerOptions: { openai: { store: false } },
    toolResultSent: chatToolResult,
    cacheWrites: true,
    reasoningTokens: true,
  },
  {
    name: "createAnthropic() → anthropic upstream (pass-through)",
    model: () => anthropic()("anthropic"),
    text: (s) => rec(ANTHROPIC, "text", s),
    tool: (s) => rec(ANTHROPIC, "tool", s),
    toolResultSent: messagesToolResult,
    reasoningTokens: false,
  },
  {
    name: "createAnthropic() → Gemini upstream (translated)",
    model: () => anthropic()("google"),
    text: (s) => rec(GOOGLE, "text", s),
    tool: (s) => rec(GOOGLE, "tool", s),
    toolResultSent: (body) => (body.contents as { parts: { functionResponse?: { response: unknown } }[] }[]).at(-1)!.parts[0]!.functionResponse?.response,
    reasoningTokens: false,
  },
];

describe.each(AI_CASES.map((c) => [c.name, c] as const))("Vercel AI SDK: %s", (_name, c) => {
  const check = (usage: LanguageModelUsage, expected: ExpectedUsage) => {
    expect(usage).toMatchObject(aiSdkUsage(expected, c.cacheWrites ?? !c.reasoningTokens));
    if (c.reasoningTokens) expect(usage.outputTokenDetails.reasoningTokens ?? 0).toBe(expected.reasoningTokens);
  };

  test("generateText: text, finish and usage", async () => {
    const turn = c.text(false);
    const expected = expectedOf(turn);
    play(turn);
    const result = await generateText({ model: c.model(), prompt: "Tell me something", maxRetries: 0, ...(c.providerOptions ? { providerOptions: c.providerOptions } : {}) });
    expect(result.text).toBe(expected.text);
    expect(result.finishReason).toBe(expected.finish === "length" ? "length" : "stop");
    check(result.usage, expected.usage!);
  });

  test("streamText: text, finish and usage", async () => {
    const turn = c.text(true);
    const expected = expectedOf(turn);
    play(turn);
    const result = streamText({ model: c.model(), prompt: "Tell me something", maxRetries: 0, ...(c.providerOptions ? { providerOptions: c.providerOptions } : {}) });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe(expected.text);
    expect(await result.text).toBe(expected.text);
    expect(await result.finishReason).toBe(expected.finish === "length" ? "length" : "stop");
    check(await result.usage, expected.usage!);
  });

  test.each([false, true])("a tool round trip (stream=%s): the call, the SDK's tool result sent back, the answer, the total usage", async (stream) => {
    const call = c.tool(stream);
    const answer = c.text(stream);
    const expectedCall = expectedOf(call);
    const expectedAnswer = expectedOf(answer);
    const name = expectedCall.toolCalls[0]!.name;
    play(call, answer);
    const options = {
      model: c.model(),
      prompt: "Use the tool, then answer.",
      tools: aiTools(name),
      stopWhen: stepCountIs(2),
      maxRetries: 0,
      ...(c.providerOptions ? { providerOptions: c.providerOptions } : {}),
    };
    let steps: Awaited<ReturnType<typeof generateText>>["steps"];
    let text: string;
    let totalUsage: Awaited<ReturnType<typeof generateText>>["totalUsage"];
    if (stream) {
      const result = streamText(options);
      let streamed = "";
      for await (const delta of result.textStream) streamed += delta;
      [steps, text, totalUsage] = [await result.steps, await result.text, await result.totalUsage];
      expect(streamed).toBe(expectedCall.text + expectedAnswer.text);
    } else {
      ({ steps, text, totalUsage } = await generateText(options));
    }
    expect(steps).toHaveLength(2);
    expect(steps[0]!.finishReason).toBe("tool-calls");
    expect(steps[0]!.toolCalls.map((t) => ({ name: t.toolName, args: t.input }))).toEqual(expectedCall.toolCalls.map((t) => ({ name: t.name, args: t.args })));
    expect(steps[0]!.toolCalls[0]!.toolCallId).toEqual(expectedCall.toolCalls[0]!.id || expect.stringMatching(/^call_/));
    expect(steps[0]!.toolResults.map((r) => r.output)).toEqual([TOOL_RESULT]);
    expect(text).toBe(expectedAnswer.text);
    // The second request carried the tool's result, in the upstream's own format.
    expect(asText(c.toolResultSent(lastSent()))).toEqual(TOOL_RESULT);
    check(steps[0]!.usage, expectedCall.usage!);
    check(steps[1]!.usage, expectedAnswer.usage!);
    check(totalUsage!, sum(expectedCall.usage!, expectedAnswer.usage!));
  });
});

describe("Vercel AI SDK, Responses API: a follow-up turn", () => {
  test("with the SDK's default store (true) it refers to the earlier reasoning and text by item_reference: a 400 from a stateless gateway; with store: false it works", async () => {
    const first = rec(RESPONSES, "text", false);
    const expected = expectedOf(first);
    const model = openai()("openai-responses");
    play(first);
    const one = await generateText({ model, prompt: "What is ((12 + 7) * 3) * 10?", maxRetries: 0 });
    expect(one.text).toBe(expected.text);
    const messages = [{ role: "user" as const, content: "What is ((12 + 7) * 3) * 10?" }, ...one.response.messages, { role: "user" as const, content: "Explain the steps." }];

    const before = upstream.requests.length;
    await expect(generateText({ model, messages, maxRetries: 0 })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/item_reference is not supported: Tollgate is stateless/) });
    expect(upstream.requests.length).toBe(before);

    play(first);
    const two = await generateText({ model, messages, maxRetries: 0, providerOptions: { openai: { store: false } } });
    expect(two.text).toBe(expected.text);
    const input = lastSent().input as { type?: string; role?: string }[];
    // The earlier reasoning goes back whole (with its encrypted content), the earlier answer as an assistant message.
    expect(input.map((i) => (i.type === "reasoning" ? "reasoning" : i.role))).toEqual(["user", "reasoning", "assistant", "user"]);
    expect(JSON.stringify(input)).not.toContain("item_reference");
  });
});

// ---------------------------------------------------------------------------
// LangChain ChatOpenAI
// ---------------------------------------------------------------------------

/** LangChain's usage_metadata for a reading's canonical figures (Chat Completions usage as ChatOpenAI reads it). */
function langchainUsage(u: ExpectedUsage) {
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    input_token_details: expect.objectContaining({ cache_read: u.cachedInputTokens }),
    output_token_details: expect.objectContaining({ reasoning: u.reasoningTokens }),
  };
}

interface LangchainCase {
  name: string;
  route: string;
  text: (stream: boolean) => Turn;
  tool: (stream: boolean) => Turn;
  toolResultSent: (body: Record<string, unknown>) => unknown;
}

const LC_CASES: LangchainCase[] = [
  { name: "→ openai Chat Completions upstream (pass-through)", route: "openai", text: (s) => rec(OPENAI, "text", s), tool: (s) => rec(OPENAI, "tool", s), toolResultSent: chatToolResult },
  { name: "→ anthropic upstream (translated)", route: "anthropic", text: (s) => rec(ANTHROPIC, "text", s), tool: (s) => rec(ANTHROPIC, "tool", s), toolResultSent: messagesToolResult },
];

describe.each(LC_CASES.map((c) => [c.name, c] as const))("LangChain ChatOpenAI %s", (_name, c) => {
  const chat = () => new ChatOpenAI({ model: c.route, apiKey: KEY, configuration: { baseURL: gw.baseURL }, maxRetries: 0 });

  test("invoke: text, finish and usage", async () => {
    const turn = c.text(false);
    const expected = expectedOf(turn);
    play(turn);
    const message = await chat().invoke("Tell me something");
    expect(message.content).toBe(expected.text);
    expect(message.response_metadata.finish_reason).toBe(expected.finish);
    expect(message.usage_metadata).toMatchObject(langchainUsage(expected.usage!));
  });

  test("stream: text and usage", async () => {
    const turn = c.text(true);
    const expected = expectedOf(turn);
    play(turn);
    let full: AIMessageChunk | undefined;
    for await (const chunk of await chat().stream("Tell me something")) full = full ? full.concat(chunk) : chunk;
    expect(full!.content).toBe(expected.text);
    expect(full!.usage_metadata).toMatchObject(langchainUsage(expected.usage!));
    // ChatOpenAI asked for the usage chunk.
    expect(lastSent()).toMatchObject({ stream: true, ...(c.route === "openai" ? { stream_options: { include_usage: true } } : {}) });
  });

  test.each([false, true])("bindTools: a tool call (stream=%s), its ToolMessage sent back, the answer", async (stream) => {
    const call = c.tool(stream);
    const answer = c.text(false);
    const expectedCall = expectedOf(call);
    const name = expectedCall.toolCalls[0]!.name;
    const model = chat().bindTools([{ type: "function", function: { name, description: `The ${name} tool`, parameters: toolSchema } }]);
    play(call);
    let first: AIMessage | AIMessageChunk;
    if (stream) {
      let full: AIMessageChunk | undefined;
      for await (const chunk of await model.stream([new HumanMessage("Use the tool.")])) full = full ? full.concat(chunk) : chunk;
      first = full!;
    } else {
      first = await model.invoke([new HumanMessage("Use the tool.")]);
    }
    expect(first.tool_calls!.map((t) => ({ name: t.name, args: t.args }))).toEqual(expectedCall.toolCalls.map((t) => ({ name: t.name, args: t.args })));
    expect(first.tool_calls![0]!.id).toBe(expectedCall.toolCalls[0]!.id);
    expect(first.usage_metadata).toMatchObject(langchainUsage(expectedCall.usage!));

    play(answer);
    const second = await model.invoke([new HumanMessage("Use the tool."), first, new ToolMessage({ tool_call_id: first.tool_calls![0]!.id!, content: JSON.stringify(TOOL_RESULT) })]);
    expect(second.content).toBe(expectedOf(answer).text);
    expect(asText(c.toolResultSent(lastSent()))).toEqual(TOOL_RESULT);
  });
});

describe("LangChain ChatOpenAI with useResponsesApi → Responses upstream (pass-through)", () => {
  const chat = () => new ChatOpenAI({ model: "openai-responses", apiKey: KEY, configuration: { baseURL: gw.baseURL }, maxRetries: 0, useResponsesApi: true });

  test("invoke: text and usage", async () => {
    const turn = rec(RESPONSES, "text", false);
    const expected = expectedOf(turn);
    play(turn);
    const message = await chat().invoke("What is ((12 + 7) * 3) * 10?");
    expect(message.text).toBe(expected.text);
    expect(message.usage_metadata).toMatchObject(langchainUsage(expected.usage!));
    expect(upstream.requests.at(-1)!.path).toBe("/v1/responses");
  });

  test("stream, bindTools: the function call and usage", async () => {
    const turn = rec(RESPONSES, "tool", true);
    const expected = expectedOf(turn);
    play(turn);
    const model = chat().bindTools([{ type: "function", function: { name: "calculator", parameters: toolSchema } }]);
    let full: AIMessageChunk | undefined;
    for await (const chunk of await model.stream("What is 12 + 7?")) full = full ? full.concat(chunk) : chunk;
    expect(full!.tool_calls!.map((t) => ({ id: t.id, name: t.name, args: t.args }))).toEqual(expected.toolCalls);
    expect(full!.usage_metadata).toMatchObject(langchainUsage(expected.usage!));
  });
});
