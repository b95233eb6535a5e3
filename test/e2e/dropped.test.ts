import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { INBOUND, replay, UPSTREAM_KEY, UPSTREAMS, type InboundApi, type UpstreamKind } from "../support/matrix.js";
import { postSse, type RawSseResult } from "../support/sse-client.js";

// What a translation cannot carry, per pair of client API and upstream kind:
// - fields the client's API has and the canonical request does not model are dropped, and
//   x-tollgate-dropped names them, but only when the request was translated (the header is
//   absent, and the fields reach the upstream, when the upstream speaks the client's API);
// - canonical fields the target has no place for are left out without a header entry;
// - what cannot be translated at all is refused with a 400 before any upstream call.

const KEY = "tg-dropped-client-key-0123456789";
let upstream: FakeUpstream;
let gw: TestGateway;

const kinds = (ids: string[]) => ids.map((id) => UPSTREAMS.find((k) => k.id === id)!);
const [OPENAI, RESPONSES, ANTHROPIC, GOOGLE] = kinds(["openai", "openai-responses", "anthropic", "google"]) as [UpstreamKind, UpstreamKind, UpstreamKind, UpstreamKind];
const ALL = UPSTREAMS;
/** Every kind whose wire format differs from, or matches, the client's. */
const translatedFor = (wire: string) => UPSTREAMS.filter((k) => k.wire !== wire);
const sameFormatAs = (wire: string) => UPSTREAMS.filter((k) => k.wire === wire);

beforeAll(async () => {
  upstream = await createFakeUpstream();
  const target = (k: UpstreamKind) => ({ provider: k.id, model: k.model });
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: Object.fromEntries(ALL.map((k) => [k.id, k.provider(upstream)])),
      models: {
        // Built-in tools are dropped (and listed) rather than refused: the header is what these tests check.
        ...Object.fromEntries(ALL.map((k) => [k.id, { retry: { maxRetries: 0 }, unsupportedTools: "drop" as const, targets: [target(k)] }])),
        "openai-then-anthropic": { retry: { maxRetries: 0 }, targets: [target(OPENAI), target(ANTHROPIC)] },
        "anthropic-then-openai": { retry: { maxRetries: 0 }, targets: [target(ANTHROPIC), target(OPENAI)] },
        small: { contextWindow: 60, maxOutputTokens: 20, targets: [target(OPENAI)] },
      },
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

const headers = (api: InboundApi): Record<string, string> => (api === "messages" ? { "x-api-key": KEY, "anthropic-version": "2023-06-01" } : { authorization: `Bearer ${KEY}` });

/** Sends `body` (its `model` the route) with the kind's text recording queued as the answer. */
async function ask(api: InboundApi, kind: UpstreamKind, body: Record<string, unknown>, route = kind.id): Promise<{ res: RawSseResult; sent: Record<string, unknown> }> {
  const stream = body.stream === true;
  // xAI has no non-streamed text recording: its tool-call body answers instead.
  upstream.enqueue(replay(kind.wire, (stream ? kind.recordings.text.stream : (kind.recordings.text.body ?? kind.recordings.tool.body))!));
  const res = await postSse(`${gw.url}${INBOUND[api].path}`, { ...body, model: route }, headers(api));
  expect(res.status, res.text.slice(0, 400)).toBe(200);
  return { res, sent: upstream.requests.at(-1)!.body as Record<string, unknown> };
}

/** Sends a request that must be refused: a 400 in the client API's error shape, and no upstream call. */
async function refused(api: InboundApi, route: string, body: Record<string, unknown>) {
  const before = upstream.requests.length;
  const res = await postSse(`${gw.url}${INBOUND[api].path}`, { ...body, model: route }, headers(api));
  expect(res.status, res.text).toBe(400);
  expect(upstream.requests.length).toBe(before);
  return JSON.parse(res.text) as { error: { type: string; code?: string; param?: string | null; message: string } };
}

const chatAsk = { messages: [{ role: "user", content: "Tell me a story" }] };
const responsesAsk = { input: "Tell me a story" };
const messagesAsk = { max_tokens: 256, messages: [{ role: "user", content: "Tell me a story" }] };
const modes = [false, true];

describe("x-tollgate-dropped", () => {
  describe("Chat Completions in: logprobs and presence_penalty", () => {
    const extra = { logprobs: true, presence_penalty: 0.5 };

    test.each(translatedFor("chat").flatMap((k) => modes.map((stream) => [k.label, stream, k] as const)))("→ %s (stream=%s): listed, and not sent", async (_l, stream, kind) => {
      const { res, sent } = await ask("chat", kind, { ...chatAsk, ...extra, ...(stream ? { stream } : {}) });
      expect(res.headers["x-tollgate-dropped"]).toBe("logprobs, presence_penalty");
      expect(sent).not.toHaveProperty("logprobs");
      expect(sent).not.toHaveProperty("presence_penalty");
      expect(JSON.stringify(sent)).not.toMatch(/logprobs|presence_penalty/);
    });

    test.each(sameFormatAs("chat").flatMap((k) => modes.map((stream) => [k.label, stream, k] as const)))("→ %s (stream=%s): absent, and the fields reach it", async (_l, stream, kind) => {
      const { res, sent } = await ask("chat", kind, { ...chatAsk, ...extra, ...(stream ? { stream } : {}) });
      expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
      expect(sent).toMatchObject(extra);
    });
  });

  describe("Responses in: reasoning, parallel_tool_calls, metadata (a null field is not listed)", () => {
    const extra = { reasoning: { effort: "low" }, parallel_tool_calls: false, metadata: { run: "7" }, service_tier: null };

    test.each(translatedFor("responses").flatMap((k) => modes.map((stream) => [k.label, stream, k] as const)))("→ %s (stream=%s): listed, and not sent", async (_l, stream, kind) => {
      const { res, sent } = await ask("responses", kind, { ...responsesAsk, ...extra, ...(stream ? { stream } : {}) });
      expect(res.headers["x-tollgate-dropped"]).toBe("reasoning, parallel_tool_calls, metadata");
      expect(JSON.stringify(sent)).not.toMatch(/"reasoning"|parallel_tool_calls|"metadata"|service_tier/);
    });

    test.each(modes)("→ a Responses upstream (stream=%s): absent, and the body forwarded as sent", async (stream) => {
      const body = { ...responsesAsk, ...extra, ...(stream ? { stream } : {}) };
      const { res, sent } = await ask("responses", RESPONSES, body);
      expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
      expect(sent).toEqual({ ...body, model: RESPONSES.model });
    });
  });

  describe("Anthropic Messages in: cache_control, server tools, disable_parallel_tool_use, top_k, thinking", () => {
    const body = {
      max_tokens: 2048,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      top_k: 5,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [
        { type: "web_search_20250305", name: "web_search", max_uses: 1 },
        { name: "weather", input_schema: { type: "object", properties: { location: { type: "string" } } } },
      ],
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
    };

    test.each(translatedFor("messages").flatMap((k) => modes.map((stream) => [k.label, stream, k] as const)))(
      "→ %s (stream=%s): listed, and not sent; the client tool is",
      async (_l, stream, kind) => {
        const { res, sent } = await ask("messages", kind, { ...body, ...(stream ? { stream } : {}) });
        expect(res.headers["x-tollgate-dropped"]).toBe("system[].cache_control, tool_choice.disable_parallel_tool_use, top_k, thinking, web_search_20250305");
        expect(JSON.stringify(sent)).not.toMatch(/cache_control|web_search|disable_parallel|top_k|topK|budget_tokens/);
        expect(JSON.stringify(sent)).toContain('"weather"');
      },
    );

    test.each(modes)("→ an anthropic upstream (stream=%s): absent, and the body forwarded as sent", async (stream) => {
      const sentBody = { ...body, ...(stream ? { stream } : {}) };
      const { res, sent } = await ask("messages", ANTHROPIC, sentBody);
      expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
      expect(sent).toEqual({ ...sentBody, model: ANTHROPIC.model });
    });

    test("a tool_result's is_error is listed too", async () => {
      const { res, sent } = await ask("messages", OPENAI, {
        max_tokens: 256,
        messages: [
          { role: "user", content: "Weather in Paris?" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "weather", input: { location: "Paris" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "service down", is_error: true }] },
        ],
      });
      expect(res.headers["x-tollgate-dropped"]).toBe("tool_result.is_error");
      expect((sent.messages as unknown[]).at(-1)).toEqual({ role: "tool", content: "service down", tool_call_id: "toolu_1" });
    });
  });

  test.each(modes)("a null field carries nothing and is not listed, on every API (stream=%s)", async (stream) => {
    const s = stream ? { stream } : {};
    expect((await ask("chat", ANTHROPIC, { ...chatAsk, ...s, logprobs: null, presence_penalty: 0.5 })).res.headers["x-tollgate-dropped"]).toBe("presence_penalty");
    expect((await ask("responses", ANTHROPIC, { ...responsesAsk, ...s, reasoning: null, metadata: { a: "1" } })).res.headers["x-tollgate-dropped"]).toBe("metadata");
    expect((await ask("messages", OPENAI, { ...messagesAsk, ...s, top_k: null, thinking: null, service_tier: "auto" })).res.headers["x-tollgate-dropped"]).toBe("service_tier");
  });

  test.each(modes)("field names that cannot be header text are percent-encoded (UTF-8), and the answer is not lost (stream=%s)", async (stream) => {
    const { res } = await ask("chat", ANTHROPIC, { ...chatAsk, ...(stream ? { stream } : {}), "line\nbreak": 1, "prix€": 2, plain: 3 });
    expect(res.headers["x-tollgate-dropped"]).toBe("line%0Abreak, prix%E2%82%AC, plain");
    expect(res.text.length).toBeGreaterThan(0);
    expect((await gw.recordOf(res.headers["x-request-id"])).outcome).toBe("complete");
  });

  describe("after a fallback, the target that answered decides", () => {
    const failure = { kind: "json" as const, status: 500, body: { error: { message: "boom", type: "server_error" } } };

    test("a Chat Completions target failed, Anthropic answered: listed", async () => {
      upstream.enqueue(failure, replay("messages", ANTHROPIC.recordings.text.body!));
      const res = await postSse(`${gw.url}/v1/chat/completions`, { ...chatAsk, logprobs: true, model: "openai-then-anthropic" }, headers("chat"));
      expect(res.status).toBe(200);
      expect(res.headers["x-tollgate-attempts"]).toBe("2");
      expect(res.headers["x-tollgate-target"]).toBe(`anthropic/${ANTHROPIC.model}`);
      expect(res.headers["x-tollgate-dropped"]).toBe("logprobs");
      expect(upstream.requests.at(-2)!.body).toMatchObject({ logprobs: true });
      expect(upstream.requests.at(-1)!.body).not.toHaveProperty("logprobs");
    });

    test("Anthropic failed, a Chat Completions target answered: absent", async () => {
      upstream.enqueue({ kind: "json", status: 500, body: { type: "error", error: { type: "api_error", message: "boom" } } }, replay("chat", OPENAI.recordings.text.body!));
      const res = await postSse(`${gw.url}/v1/chat/completions`, { ...chatAsk, logprobs: true, model: "anthropic-then-openai" }, headers("chat"));
      expect(res.status).toBe(200);
      expect(res.headers["x-tollgate-attempts"]).toBe("2");
      expect(res.headers["x-tollgate-target"]).toBe(`openai/${OPENAI.model}`);
      expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
      expect(upstream.requests.at(-1)!.body).toMatchObject({ logprobs: true });
    });
  });
});

describe("left out without a header entry: canonical fields the target has no place for", () => {
  test("Chat → anthropic: seed, response_format json_object, tool strict, message name; temperature capped at 1; user as metadata.user_id", async () => {
    const { res, sent } = await ask("chat", ANTHROPIC, {
      messages: [
        {
          role: "user",
          name: "ann",
          content: [
            { type: "text", text: "Tell me a story" },
            { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "high" } },
          ],
        },
      ],
      seed: 7,
      temperature: 1.5,
      response_format: { type: "json_object" },
      tools: [{ type: "function", function: { name: "weather", strict: true, parameters: { type: "object", properties: {} } } }],
      stop: ["THE END"],
      user: "end-user-1",
    });
    expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
    expect(sent).toEqual({
      model: ANTHROPIC.model,
      max_tokens: 4096,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Tell me a story" },
            { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
          ],
        },
      ],
      temperature: 1,
      stop_sequences: ["THE END"],
      tools: [{ name: "weather", input_schema: { type: "object", properties: {} } }],
      metadata: { user_id: "end-user-1" },
    });
  });

  test("Chat → Responses: seed, stop, user and message name", async () => {
    const { res, sent } = await ask("chat", RESPONSES, { messages: [{ role: "user", name: "ann", content: "Tell me a story" }], seed: 7, stop: ["THE END"], user: "end-user-1" });
    expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
    expect(sent).toEqual({ model: RESPONSES.model, input: [{ type: "message", role: "user", content: "Tell me a story" }], store: false });
  });

  test("Chat → Gemini carries them: seed, stop, json_object and n", async () => {
    const { res, sent } = await ask("chat", GOOGLE, {
      messages: [
        {
          role: "user",
          name: "ann",
          content: [
            { type: "text", text: "Tell me a story" },
            { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "high" } },
          ],
        },
      ],
      seed: 7,
      stop: ["THE END"],
      response_format: { type: "json_object" },
      n: 2,
      user: "end-user-1",
      tools: [{ type: "function", function: { name: "weather", strict: true, parameters: { type: "object", properties: {} } } }],
    });
    expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
    expect(sent.generationConfig).toEqual({ seed: 7, stopSequences: ["THE END"], responseMimeType: "application/json", candidateCount: 2 });
    // Left out: the message name, the image detail, the tool's strict.
    expect(sent.contents).toEqual([{ role: "user", parts: [{ text: "Tell me a story" }, { fileData: { fileUri: "https://example.com/a.png", mimeType: "image/png" } }] }]);
    // (An empty object schema is left out too: the function takes no arguments.)
    expect(sent.tools).toEqual([{ functionDeclarations: [{ name: "weather" }] }]);
    // `user` attributes the request in the ledger; Gemini has no field for it.
    expect(Object.keys(sent).sort()).toEqual(["contents", "generationConfig", "tools"]);
  });

  test("a Chat content part with no counterpart (input_audio): left out for Anthropic and Responses, inline data for Gemini", async () => {
    const messages = [
      {
        role: "user",
        content: [
          { type: "text", text: "Transcribe" },
          { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        ],
      },
    ];
    const toAnthropic = await ask("chat", ANTHROPIC, { messages });
    expect(toAnthropic.res.headers["x-tollgate-dropped"]).toBeUndefined();
    expect(toAnthropic.sent.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Transcribe" }] }]);
    const toResponses = await ask("chat", RESPONSES, { messages });
    expect(toResponses.res.headers["x-tollgate-dropped"]).toBeUndefined();
    expect(toResponses.sent.input).toEqual([{ type: "message", role: "user", content: [{ type: "input_text", text: "Transcribe" }] }]);
    const toGemini = await ask("chat", GOOGLE, { messages });
    expect(toGemini.sent.contents).toEqual([{ role: "user", parts: [{ text: "Transcribe" }, { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } }] }]);
  });

  test("an image in a tool result: an image block for Anthropic, left out for Responses and Gemini (their tool results are text)", async () => {
    const messages = [
      { role: "user", content: "Take a photo." },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "camera", arguments: "{}" } }] },
      {
        role: "tool",
        tool_call_id: "call_1",
        content: [
          { type: "text", text: "the photo:" },
          { type: "image_url", image_url: { url: "https://example.com/photo.png" } },
        ],
      },
    ];
    const toAnthropic = await ask("chat", ANTHROPIC, { messages });
    expect((toAnthropic.sent.messages as unknown[]).at(-1)).toEqual({
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "call_1",
          content: [
            { type: "text", text: "the photo:" },
            { type: "image", source: { type: "url", url: "https://example.com/photo.png" } },
          ],
        },
      ],
    });
    const toResponses = await ask("chat", RESPONSES, { messages });
    expect((toResponses.sent.input as unknown[]).at(-1)).toEqual({ type: "function_call_output", call_id: "call_1", output: "the photo:" });
    const toGemini = await ask("chat", GOOGLE, { messages });
    expect((toGemini.sent.contents as unknown[]).at(-1)).toEqual({ role: "user", parts: [{ functionResponse: { name: "camera", response: { content: "the photo:" } } }] });
    for (const r of [toAnthropic, toResponses, toGemini]) expect(r.res.headers["x-tollgate-dropped"]).toBeUndefined();
  });

  test("Responses → Chat Completions: an earlier reasoning item, and user", async () => {
    const { res, sent } = await ask("responses", OPENAI, {
      user: "end-user-1",
      input: [
        { role: "user", content: "Think, then answer." },
        { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "thinking..." }], encrypted_content: "opaque" },
        { role: "assistant", content: "42" },
        { role: "user", content: "Why?" },
      ],
    });
    expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
    expect(sent.messages).toEqual([
      { role: "user", content: "Think, then answer." },
      { role: "assistant", content: "42" },
      { role: "user", content: "Why?" },
    ]);
    expect(sent).not.toHaveProperty("user");
  });
});

describe("refused with a 400, before any upstream call, in the client API's error shape", () => {
  test("n > 1: Anthropic and Responses targets give one answer per request", async () => {
    for (const kind of [ANTHROPIC, RESPONSES]) {
      const { error } = await refused("chat", kind.id, { ...chatAsk, n: 2 });
      expect(error).toMatchObject({ type: "invalid_request_error", code: "unsupported_parameter", param: "n" });
    }
  });

  test("tool-call arguments that are not a JSON object, for targets that need an object (Anthropic, Gemini)", async () => {
    const messages = [
      { role: "user", content: "x" },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: "[1, 2]" } }] },
      { role: "tool", tool_call_id: "c1", content: "ok" },
    ];
    for (const kind of [ANTHROPIC, GOOGLE]) {
      const { error } = await refused("chat", kind.id, { messages });
      expect(error).toMatchObject({ code: "invalid_tool_arguments", param: "messages[1].tool_calls[0].function.arguments" });
    }
    const fromResponses = await refused("responses", ANTHROPIC.id, {
      input: [
        { role: "user", content: "x" },
        { type: "function_call", call_id: "c1", name: "weather", arguments: "not json" },
        { type: "function_call_output", call_id: "c1", output: "ok" },
      ],
    });
    expect(fromResponses.error).toMatchObject({ code: "invalid_tool_arguments" });
  });

  test("Gemini: an image that is neither a data URL nor http(s)/gs, a file by id, a result for no known call, nothing but a system prompt", async () => {
    const image = await refused("chat", GOOGLE.id, { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://example.com/cat.png" } }] }] });
    expect(image.error).toMatchObject({ code: "invalid_request", param: "messages[0].content[0]" });
    const file = await refused("chat", GOOGLE.id, { messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }] });
    expect(file.error).toMatchObject({ code: "unsupported_content", param: "messages[0].content[0]" });
    const orphan = await refused("chat", GOOGLE.id, {
      messages: [
        { role: "user", content: "x" },
        { role: "tool", tool_call_id: "nobody", content: "ok" },
      ],
    });
    expect(orphan.error).toMatchObject({ code: "invalid_request", param: "messages[1].tool_call_id" });
    const empty = await refused("chat", GOOGLE.id, { messages: [{ role: "system", content: "Be brief." }] });
    expect(empty.error).toMatchObject({ code: "invalid_request", param: "messages" });
  });

  test("Responses in: state Tollgate does not keep is refused even for a Responses upstream", async () => {
    expect((await refused("responses", RESPONSES.id, { ...responsesAsk, store: true })).error).toMatchObject({ code: "unsupported_parameter", param: "store" });
    expect((await refused("responses", RESPONSES.id, { ...responsesAsk, previous_response_id: "resp_1" })).error).toMatchObject({ code: "unsupported_parameter", param: "previous_response_id" });
    expect((await refused("responses", RESPONSES.id, { input: [{ type: "item_reference", id: "msg_1" }] })).error).toMatchObject({ code: "unsupported_parameter", param: "input[0]" });
    // A built-in tool reaches a Responses upstream (test/e2e/tool-types.test.ts); "small" translates and refuses it.
    expect((await refused("responses", "small", { ...responsesAsk, tools: [{ type: "web_search_preview" }] })).error).toMatchObject({ code: "unsupported_tool_type", param: "tools" });
  });

  test("Messages in: errors in Anthropic's shape", async () => {
    const body = await refused("messages", OPENAI.id, { max_tokens: 10, messages: [{ role: "user", content: [{ type: "tool_use", id: "t", name: "x", input: {} }] }] });
    expect(body).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/tool_use blocks belong in assistant turns/) } });
  });

  test("a request that cannot fit the route's context window, on every API", async () => {
    const long = "word ".repeat(200);
    const chat = await refused("chat", "small", { messages: [{ role: "user", content: long }] });
    expect(chat.error).toMatchObject({ type: "invalid_request_error", code: "context_length_exceeded", param: "messages" });
    const responses = await refused("responses", "small", { input: long });
    expect(responses.error).toMatchObject({ type: "invalid_request_error", code: "context_length_exceeded" });
    const messages = await refused("messages", "small", { max_tokens: 10, messages: [{ role: "user", content: long }] });
    expect(messages).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/context window of 60/) } });
  });
});
