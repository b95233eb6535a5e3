import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { Tool as ResponsesTool } from "openai/resources/responses/responses";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, listFixtures, loadChunks, loadJson, loadText, namedEventSseBytes } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { expectedUsageFromResponses, responsesSseBytes, splitResponsesStreams } from "../support/responses-fixtures.js";
import { expectedFromAnthropicChunks } from "../support/anthropic-expected.js";
import { postSse } from "../support/sse-client.js";

// Every tool type: on same-API routes built-in tools reach the provider as sent and their
// events are relayed exactly and metered; translating routes flatten namespaces, turn
// custom tools into functions (and map the calls back), and refuse or drop the rest.

const KEY = "tg-test-client-key-tool-types";
let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;
let anthropic: Anthropic;
const noRetry = { retry: { maxRetries: 0 } };

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: {
        resp: { type: "openai", api: "responses", baseURL: upstream.url, apiKey: "env:UP_KEY" },
        chat: { type: "openai", baseURL: upstream.url, apiKey: "env:UP_KEY" },
        ant: { type: "anthropic", baseURL: upstream.url, apiKey: "env:UP_KEY" },
      },
      models: {
        r: { ...noRetry, targets: [{ provider: "resp", model: "gpt-5-codex" }] },
        "r-pinned": { ...noRetry, systemPrompt: { text: "Follow the house rules." }, targets: [{ provider: "resp", model: "gpt-5-codex" }] },
        c: { ...noRetry, targets: [{ provider: "chat", model: "gpt-4.1-nano" }] },
        "c-drop": { ...noRetry, unsupportedTools: "drop", targets: [{ provider: "chat", model: "gpt-4.1-nano" }] },
        claude: { ...noRetry, targets: [{ provider: "ant", model: "claude-sonnet-4-5" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: "sk-upstream-key-tool-types" } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const headers = { authorization: `Bearer ${KEY}` };
const TOOL_RECORDINGS = listFixtures("openai-responses", ".chunks.txt").filter((f) => /openai-[a-z-]+-tool\.1\.chunks\.txt$|openai-tool-search\.1\.chunks\.txt$/.test(f));

/** The tools a recording's request offered, as the recorded response echoes them (the local shell recording echoes none). */
function toolsOf(fixture: string): ResponsesTool[] {
  const body = loadJson(fixture.replace(".chunks.txt", ".json")) as { tools: ResponsesTool[] };
  return body.tools.length > 0 ? body.tools : [{ type: "local_shell" }];
}

describe("Responses → Responses upstream: every tool type passes through", () => {
  test("the recordings are the ones the issue lists", () => {
    expect(TOOL_RECORDINGS.map((f) => f.replace("openai-responses/", ""))).toEqual([
      "openai-apply-patch-tool.1.chunks.txt",
      "openai-code-interpreter-tool.1.chunks.txt",
      "openai-custom-tool.1.chunks.txt",
      "openai-local-shell-tool.1.chunks.txt",
      "openai-mcp-tool.1.chunks.txt",
      "openai-shell-tool.1.chunks.txt",
      "openai-tool-search.1.chunks.txt",
      "openai-web-search-tool.1.chunks.txt",
    ]);
  });

  test.each(TOOL_RECORDINGS)("%s: streamed events relayed exactly, the body sent as is, usage metered", async (fixture) => {
    const payloads = splitResponsesStreams(loadChunks(fixture))[0]!;
    const tools = toolsOf(fixture);
    upstream.enqueue({ kind: "sse", chunks: [responsesSseBytes(payloads)] });
    const body = { model: "r", stream: true, input: "Use the tool", tools, include: ["reasoning.encrypted_content"], store: false, prompt_cache_key: "agent-7" };
    const res = await postSse(`${gw.baseURL}/responses`, body, headers);
    expect(res.status).toBe(200);
    expect(res.payloads).toEqual(payloads);
    expect(upstream.requests.at(-1)!.body).toEqual({ ...body, model: "gpt-5-codex" });
    const completed = JSON.parse(payloads.at(-1)!) as { type: string; response: { usage: Record<string, unknown> } };
    expect(completed.type).toBe("response.completed");
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record.usage).toEqual(expectedUsageFromResponses(completed.response.usage));
  });

  test.each(TOOL_RECORDINGS.map((f) => f.replace(".chunks.txt", ".json")))("%s: the body relayed byte for byte, usage metered", async (fixture) => {
    const text = loadText(fixture);
    upstream.enqueue({ kind: "status", status: 200, body: text, headers: { "content-type": "application/json" } });
    const { data, response } = await client.responses.create({ model: "r", input: "Use the tool", tools: toolsOf(fixture.replace(".json", ".chunks.txt")), store: false }).withResponse();
    expect(JSON.parse(JSON.stringify(data))).toMatchObject(JSON.parse(text) as object);
    const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
    expect(record.usage).toEqual(expectedUsageFromResponses((JSON.parse(text) as { usage: Record<string, unknown> }).usage));
  });
});

const namespaceTool: ResponsesTool = {
  type: "namespace",
  name: "crm",
  description: "Customer records.",
  tools: [{ type: "function", name: "lookup", description: "Find a customer.", parameters: { type: "object", properties: { email: { type: "string" } }, required: ["email"] } }],
} as ResponsesTool;
const customTool: ResponsesTool = { type: "custom", name: "write_sql", description: "Write one SQL query.", format: { type: "grammar", syntax: "regex", definition: "SELECT .+" } };

function chatToolCalls(calls: { id: string; name: string; arguments: string }[]) {
  return {
    id: "chatcmpl-tools",
    object: "chat.completion",
    created: 1,
    model: "gpt-4.1-nano",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: null, tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) },
        finish_reason: "tool_calls",
      },
    ],
    usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 },
  };
}

function chatToolStream(calls: { id: string; name: string; arguments: string }[]): Buffer {
  const chunk = (delta: unknown, finish: string | null = null) =>
    JSON.stringify({ id: "chatcmpl-tools", object: "chat.completion.chunk", created: 1, model: "gpt-4.1-nano", choices: [{ index: 0, delta, finish_reason: finish }] });
  const payloads = [chunk({ role: "assistant", content: null })];
  calls.forEach((c, index) => {
    payloads.push(chunk({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }));
    payloads.push(chunk({ tool_calls: [{ index, function: { arguments: c.arguments } }] }));
  });
  payloads.push(chunk({}, "tool_calls"));
  payloads.push(
    JSON.stringify({ id: "chatcmpl-tools", object: "chat.completion.chunk", created: 1, model: "gpt-4.1-nano", choices: [], usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 } }),
  );
  return chatSseBytes(payloads);
}

const calls = [
  { id: "call_ns", name: "crm__lookup", arguments: '{"email":"ada@example.com"}' },
  { id: "call_sql", name: "write_sql", arguments: '{"input":"SELECT * FROM users"}' },
];

describe("Responses → Responses upstream, the request rewritten (a pinned system prompt)", () => {
  test("the client's tools still reach the provider as sent", async () => {
    const payloads = splitResponsesStreams(loadChunks("openai-responses/openai-custom-tool.1.chunks.txt"))[0]!;
    upstream.enqueue({ kind: "sse", chunks: [responsesSseBytes(payloads)] });
    const tools = [namespaceTool, customTool, { type: "web_search" }];
    const res = await postSse(`${gw.baseURL}/responses`, { model: "r-pinned", stream: true, input: "Count users", tools, tool_choice: { type: "custom", name: "write_sql" } }, headers);
    expect(res.payloads).toEqual(payloads);
    const sent = upstream.requests.at(-1)!.body as { tools: unknown; tool_choice: unknown; input: { role?: string }[]; instructions?: string };
    expect(sent.tools).toEqual(tools);
    expect(sent.tool_choice).toEqual({ type: "custom", name: "write_sql" });
    expect(JSON.stringify(sent)).toContain("Follow the house rules.");
  });
});

describe("Responses → Chat Completions upstream: namespaces and custom tools translated", () => {
  test("the upstream sees function tools; the client gets its namespaced function call and its custom tool call back (not streamed)", async () => {
    upstream.enqueue({ kind: "json", status: 200, body: chatToolCalls(calls) });
    const answer = await client.responses.create({ model: "c", input: "Find Ada and count users", tools: [namespaceTool, customTool], tool_choice: "auto" });
    const sent = upstream.requests.at(-1)!.body as { tools: { type: string; function: { name: string; parameters: unknown } }[] };
    expect(sent.tools.map((t) => t.function.name)).toEqual(["crm__lookup", "write_sql"]);
    expect(sent.tools[1]!.function.parameters).toMatchObject({ type: "object", properties: { input: { type: "string" } }, required: ["input"] });
    expect(answer.output).toMatchObject([
      { type: "function_call", name: "lookup", namespace: "crm", call_id: "call_ns", arguments: '{"email":"ada@example.com"}' },
      { type: "custom_tool_call", name: "write_sql", call_id: "call_sql", input: "SELECT * FROM users" },
    ]);
  });

  test("streamed: the SDK's final response holds the same items; the history goes back as function calls", async () => {
    upstream.enqueue({ kind: "sse", chunks: [chatToolStream(calls)] });
    const stream = client.responses.stream({ model: "c", input: "Find Ada and count users", tools: [namespaceTool, customTool] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(final.output).toMatchObject([
      { type: "function_call", name: "lookup", namespace: "crm", arguments: '{"email":"ada@example.com"}' },
      { type: "custom_tool_call", name: "write_sql", input: "SELECT * FROM users" },
    ]);
    expect(types).toContain("response.custom_tool_call_input.delta");

    // The next turn sends the calls and their outputs back: the upstream sees them under the names it knows.
    upstream.enqueue({
      kind: "json",
      status: 200,
      body: { id: "chatcmpl-2", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "Done." }, finish_reason: "stop" }] },
    });
    await client.responses.create({
      model: "c",
      tools: [namespaceTool, customTool],
      input: [
        { role: "user", content: "Find Ada and count users" },
        { type: "function_call", call_id: "call_ns", name: "lookup", namespace: "crm", arguments: '{"email":"ada@example.com"}' } as never,
        { type: "function_call_output", call_id: "call_ns", output: "found" },
        { type: "custom_tool_call", call_id: "call_sql", name: "write_sql", input: "SELECT 1" },
        { type: "custom_tool_call_output", call_id: "call_sql", output: "1" },
      ],
    });
    const history = (upstream.requests.at(-1)!.body as { messages: { role: string; tool_calls?: { function: { name: string; arguments: string } }[] }[] }).messages;
    expect(history.flatMap((m) => m.tool_calls ?? []).map((c) => c.function)).toEqual([
      { name: "crm__lookup", arguments: '{"email":"ada@example.com"}' },
      { name: "write_sql", arguments: '{"input":"SELECT 1"}' },
    ]);
    expect(history.filter((m) => m.role === "tool")).toHaveLength(2);
  });

  test("built-in tools are refused by default (400 before any call) and dropped, with x-tollgate-dropped, when the route says so", async () => {
    const before = upstream.requests.length;
    await expect(client.responses.create({ model: "c", input: "news?", tools: [{ type: "web_search" }, { type: "function", name: "f", parameters: {}, strict: false }] })).rejects.toMatchObject({
      status: 400,
      code: "unsupported_tool_type",
      message: expect.stringMatching(/web_search[\s\S]*unsupportedTools: drop/),
    });
    expect(upstream.requests.length).toBe(before);

    upstream.enqueue({ kind: "json", status: 200, body: chatToolCalls([]) });
    const { response } = await client.responses
      .create({
        model: "c-drop",
        input: "news?",
        tools: [{ type: "web_search" }, { type: "mcp", server_label: "x", server_url: "https://mcp.example" }, { type: "function", name: "f", parameters: {}, strict: false }],
        tool_choice: { type: "web_search" } as never,
      })
      .withResponse();
    expect(response.headers.get("x-tollgate-dropped")).toMatch(/web_search, mcp/);
    expect((upstream.requests.at(-1)!.body as { tools: { function: { name: string } }[] }).tools.map((t) => t.function.name)).toEqual(["f"]);
  });
});

describe("Anthropic server tools and context management", () => {
  const webSearch = loadChunks("anthropic/anthropic-web-search-tool.1.chunks.txt");

  test("to an Anthropic upstream: the body, anthropic-beta and ?beta=true as sent; the stream relayed exactly and metered", async () => {
    upstream.enqueue({ kind: "sse", chunks: [namedEventSseBytes(webSearch)] });
    const body = {
      model: "claude",
      max_tokens: 1024,
      stream: true,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "News?" }],
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }],
      thinking: { type: "enabled", budget_tokens: 1024 },
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
    };
    const res = await postSse(`${gw.url}/v1/messages?beta=true`, body, { "x-api-key": KEY, "anthropic-version": "2023-06-01", "anthropic-beta": "context-management-2025-06-27" });
    expect(res.status).toBe(200);
    expect(res.payloads).toEqual(webSearch);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/v1/messages?beta=true");
    expect(sent.headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    expect(sent.body).toEqual({ ...body, model: "claude-sonnet-4-5" });
    expect((await gw.recordOf(res.headers["x-request-id"])).usage).toEqual(expectedFromAnthropicChunks(webSearch).usage);
  });

  test("to a Chat Completions upstream: refused by default, dropped and named when the route says so", async () => {
    const ask = { max_tokens: 100, messages: [{ role: "user" as const, content: "News?" }], tools: [{ type: "web_search_20250305" as const, name: "web_search" as const }] };
    await expect(anthropic.messages.create({ model: "c", ...ask })).rejects.toMatchObject({
      status: 400,
      error: { error: { type: "invalid_request_error", message: expect.stringMatching(/web_search_20250305/) } },
    });
    upstream.enqueue({
      kind: "json",
      status: 200,
      body: { id: "chatcmpl-3", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "No news." }, finish_reason: "stop" }] },
    });
    const { response } = await anthropic.messages.create({ model: "c-drop", ...ask }).withResponse();
    expect(response.headers.get("x-tollgate-dropped")).toContain("web_search_20250305");
    expect(upstream.requests.at(-1)!.body).not.toHaveProperty("tools");
  });
});
