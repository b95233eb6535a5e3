import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { expectAnswerConforms } from "../support/conformance.js";
import { mulberry32, seedMessage, testSeed } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import type { RecordedRequest } from "../support/fake-upstream.js";
import {
  CLOUD_UPSTREAMS,
  createCloudUpstream,
  expectSameContent,
  finishIn,
  INBOUND,
  read,
  readRecording,
  replay,
  UPSTREAM_KEY,
  UPSTREAMS as DIRECT_UPSTREAMS,
  usageIn,
  type InboundApi,
  type Recording,
  type RecordingKind,
  type UpstreamKind,
  type WireFormat,
} from "../support/matrix.js";
import { postSse } from "../support/sse-client.js";

// The cross-format matrix: every inbound API (Chat Completions, Responses, Anthropic
// Messages) against every upstream kind, streamed and not, replaying a text and a
// tool-call recording in that upstream's own format through a real gateway on real
// sockets. A raw client reads what came back; each cell checks that the text, the
// reasoning, the tool calls (name, arguments, id), the finish reason (in the client's
// API's words) and the usage (in its API's shape, the recording's figures) survived the
// round trip, that the ledger recorded the recording's usage, and that the upstream was
// called in its own format. Where the client and the upstream speak the same API the
// frames (or the body) must come back untouched.
//
// Bedrock and Vertex are in it too: the fake upstream checks every Bedrock request's
// Signature V4 (aws4) and every Vertex request's token (issued by its fake OAuth endpoint
// for a JWT signed with the service account's key), and Bedrock's streams are binary
// event-stream frames split at random byte offsets.
//
// Recordings: see UPSTREAMS in test/support/matrix.ts. Borrowed ones are named in the
// test title: openai-chat/ has no tool-call recording (DeepSeek's is replayed for the
// `openai` kind); Azure has only a streamed text recording (OpenAI's body and xAI's tool
// call are replayed for the rest); xAI has no non-streamed text recording (that cell is
// absent).

const KEY = "tg-matrix-client-key-0123456789";
const UPSTREAMS: UpstreamKind[] = [...DIRECT_UPSTREAMS, ...CLOUD_UPSTREAMS];
let upstream: Awaited<ReturnType<typeof createCloudUpstream>>;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createCloudUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: Object.fromEntries(UPSTREAMS.map((k) => [k.id, k.provider(upstream)])),
      models: Object.fromEntries(UPSTREAMS.map((k) => [k.id, { retry: { maxRetries: 0 }, targets: [{ provider: k.id, model: k.model }] }])),
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
  upstream?.cleanup();
});

/** The upstream got the kind's credentials: its key header, or a signature or token its fake cloud accepted. */
function expectAuthorized(kind: UpstreamKind, sent: RecordedRequest, context: string): void {
  if (Array.isArray(kind.auth)) expect(sent.headers[kind.auth[0]], context).toBe(kind.auth[1]);
  else expect(kind.auth.checkedBy.accepted.at(-1)?.path, context).toBe(sent.path);
}

const PROMPT = "What is the weather in San Francisco?";
const SCHEMA = { type: "object", properties: {} };

/** A minimal request in the client's API, declaring the tools the recording calls. */
function clientBody(api: InboundApi, model: string, stream: boolean, tools: string[]): Record<string, unknown> {
  switch (api) {
    case "chat":
      return {
        model,
        messages: [{ role: "user", content: PROMPT }],
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        ...(tools.length ? { tools: tools.map((name) => ({ type: "function", function: { name, parameters: SCHEMA } })) } : {}),
      };
    case "responses":
      return { model, input: PROMPT, ...(stream ? { stream: true } : {}), ...(tools.length ? { tools: tools.map((name) => ({ type: "function", name, parameters: SCHEMA })) } : {}) };
    case "messages":
      return {
        model,
        max_tokens: 1024,
        messages: [{ role: "user", content: PROMPT }],
        ...(stream ? { stream: true } : {}),
        ...(tools.length ? { tools: tools.map((name) => ({ name, input_schema: SCHEMA })) } : {}),
      };
  }
}

const clientHeaders = (api: InboundApi): Record<string, string> => (api === "messages" ? { "x-api-key": KEY, "anthropic-version": "2023-06-01" } : { authorization: `Bearer ${KEY}` });

/** The tool names an upstream body declares, in its own format. */
function declaredTools(wire: WireFormat, body: Record<string, unknown>): string[] {
  const tools = (body.tools ?? []) as Record<string, unknown>[];
  switch (wire) {
    case "chat":
      return tools.map((t) => (t.function as { name: string }).name);
    case "responses":
    case "messages":
      return tools.map((t) => t.name as string);
    case "gemini":
      return tools.flatMap((t) => (t.functionDeclarations as { name: string }[]).map((f) => f.name));
    case "converse":
      return ((body.toolConfig as { tools?: Array<{ toolSpec: { name: string } }> } | undefined)?.tools ?? []).map((t) => t.toolSpec.name);
  }
}

interface Cell {
  name: string;
  kind: RecordingKind;
  recording: Recording;
}

function cellsOf(upstreamKind: UpstreamKind): Cell[] {
  const cells: Cell[] = [];
  for (const kind of ["text", "tool", "reasoning", "refusal"] as const) {
    for (const recording of [upstreamKind.recordings[kind]?.stream, upstreamKind.recordings[kind]?.body]) {
      if (!recording) continue;
      const borrowed = recording.borrowed ? `; borrowed: ${recording.borrowed}` : "";
      cells.push({ name: `${recording.stream ? "stream" : "non-stream"} ${kind} (${recording.source}${borrowed})`, kind, recording });
    }
  }
  return cells;
}

const APIS: InboundApi[] = ["chat", "responses", "messages"];

describe.each(APIS.map((api) => [INBOUND[api].label, api] as const))("%s in", (_label, api) => {
  describe.each(UPSTREAMS.map((k) => [k.label, k] as const))("→ %s upstream", (_label, kind) => {
    test.each(cellsOf(kind).map((c) => [c.name, c] as const))("%s", async (name, { recording }) => {
      const { stream } = recording;
      const expected = readRecording(kind.wire, recording);
      const passthrough = kind.wire === api;
      const tools = expected.toolCalls.map((t) => t.name);
      const seed = testSeed();
      const context = seedMessage(seed, `${api} ← ${kind.id}: ${name}`);
      upstream.enqueue(replay(kind.wire, recording, mulberry32(seed)));
      const sentBody = clientBody(api, kind.id, stream, tools);

      const res = await postSse(`${gw.url}${INBOUND[api].path}`, sentBody, clientHeaders(api));
      expect(res.status, `${context}: ${res.text.slice(0, 400)}`).toBe(200);
      expect(res.headers["content-type"], context).toMatch(stream ? /^text\/event-stream/ : /^application\/json/);
      expect(res.headers["x-tollgate-target"], context).toBe(`${kind.id}/${kind.model}`);
      expect(res.headers["x-tollgate-attempts"], context).toBe("1");
      // The client sent nothing its API has and the target's lacks.
      expect(res.headers["x-tollgate-dropped"], context).toBeUndefined();

      // What came back, read as the client's API defines it.
      let data: string[] | unknown;
      if (stream) {
        const payloads = res.payloads;
        const events = res.messages.map((m) => m.event);
        if (api === "chat") {
          expect(payloads.at(-1), context).toBe("[DONE]");
          data = payloads.slice(0, -1);
        } else {
          expect(events.at(-1), context).toBe(api === "messages" ? "message_stop" : finishIn("responses", expected.finish!) === "completed" ? "response.completed" : "response.incomplete");
          // Each event is named after its payload's type.
          expect(
            events.filter((e, i) => e !== (JSON.parse(payloads[i]!) as { type: string }).type),
            context,
          ).toEqual([]);
          data = payloads;
        }
        if (passthrough) expect(data, `${context}: frames relayed untouched`).toEqual(recording.payloads);
      } else {
        if (passthrough) expect(res.text, `${context}: body relayed untouched`).toBe(recording.body);
        data = JSON.parse(res.text);
      }
      const got = read(api, stream, data);
      // What Tollgate wrote itself follows the client API's published schema.
      if (!passthrough) expectAnswerConforms(api, stream, data, context);

      expectSameContent(got, expected, context);
      got.toolCalls.forEach((call, i) => {
        const want = expected.toolCalls[i]!.id;
        // Gemini sends no call ids: Tollgate names them call_<hash>, a thought signature riding in a signed call's id.
        if (want === "") expect(call.id, context).toMatch(/^call_[0-9a-f]{24}(__ts_[A-Za-z0-9_-]+)?$/);
        else expect(call.id, context).toBe(want);
      });
      expect(got.finishWire, context).toBe(finishIn(api, expected.finish!));

      // Usage: the recording's own object when relayed, else the recording's figures in the client API's shape.
      expect(got.rawUsage, context).toEqual(passthrough ? expected.rawUsage : usageIn(api, expected.usage!));
      // Messages has no field for reasoning tokens (they are inside output_tokens): only the ledger keeps them.
      expect(got.usage, context).toEqual(api === "messages" && !passthrough ? { ...expected.usage!, reasoningTokens: 0 } : expected.usage);

      const record = await gw.recordOf(res.headers["x-request-id"]);
      expect(record, context).toMatchObject({ api: INBOUND[api].ledgerApi, route: kind.id, stream, outcome: "complete", status: 200 });
      expect(record.usage, context).toEqual(expected.usage);
      expect(record.attempts, context).toHaveLength(1);

      // The upstream was called in its own format, on its own path, with its own key header.
      const sent = upstream.requests.at(-1)!;
      expect(sent.path, context).toBe(kind.path(stream));
      expectAuthorized(kind, sent, context);
      const upstreamBody = sent.body as Record<string, unknown>;
      if (passthrough) {
        expect(upstreamBody, context).toEqual({ ...sentBody, model: kind.model, ...(api === "chat" && stream ? { stream_options: { include_usage: true } } : {}) });
      } else {
        const marker = { chat: "messages", responses: "input", messages: "max_tokens", gemini: "contents", converse: "messages" }[kind.wire];
        expect(upstreamBody, context).toHaveProperty(marker);
        // The target's own model name (Gemini, Bedrock and Azure name it in the path).
        if (kind.wire !== "gemini" && kind.wire !== "converse") expect(upstreamBody.model, context).toBe(kind.model);
      }
      expect(declaredTools(kind.wire, upstreamBody), context).toEqual(tools);
    });
  });
});

// ---------------------------------------------------------------------------
// The request side: images, a tool call and its result reach every upstream
// ---------------------------------------------------------------------------

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const DATA_URL = `data:image/png;base64,${PNG}`;
const IMAGE_URL = "https://example.com/cat.png";
const QUESTION = "Where is this, and what is the weather there?";
const RESULT = '{"sky":"clear","temperature":21}';
const WEATHER_SCHEMA = { type: "object", properties: { location: { type: "string" } }, required: ["location"] };

/** One conversation in each client API: a system prompt, a user turn with two images, the model's tool call, and its result. */
/** `urlImage: false` leaves the image given by URL out (for upstreams that take images inline only). */
function historyBody(api: InboundApi, model: string, urlImage = true): Record<string, unknown> {
  switch (api) {
    case "chat":
      return {
        model,
        max_completion_tokens: 512,
        messages: [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            content: [{ type: "text", text: QUESTION }, { type: "image_url", image_url: { url: DATA_URL } }, ...(urlImage ? [{ type: "image_url", image_url: { url: IMAGE_URL } }] : [])],
          },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"location":"Paris"}' } }] },
          { role: "tool", tool_call_id: "call_1", content: RESULT },
        ],
        tools: [{ type: "function", function: { name: "weather", parameters: WEATHER_SCHEMA } }],
        tool_choice: "required",
      };
    case "responses":
      return {
        model,
        max_output_tokens: 512,
        instructions: "Be brief.",
        input: [
          { role: "user", content: [{ type: "input_text", text: QUESTION }, { type: "input_image", image_url: DATA_URL }, ...(urlImage ? [{ type: "input_image", image_url: IMAGE_URL }] : [])] },
          { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"location":"Paris"}' },
          { type: "function_call_output", call_id: "call_1", output: RESULT },
        ],
        tools: [{ type: "function", name: "weather", parameters: WEATHER_SCHEMA }],
        tool_choice: "required",
      };
    case "messages":
      return {
        model,
        max_tokens: 512,
        system: "Be brief.",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: QUESTION },
              { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
              ...(urlImage ? [{ type: "image", source: { type: "url", url: IMAGE_URL } }] : []),
            ],
          },
          { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "weather", input: { location: "Paris" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: RESULT }] },
        ],
        tools: [{ name: "weather", input_schema: WEATHER_SCHEMA }],
        tool_choice: { type: "any" },
      };
  }
}

interface SentHistory {
  /** The max-tokens field the upstream got, and its value. */
  maxTokens: [string, unknown];
  /** The tool choice as the upstream's format says "a tool must be called". */
  toolChoice: unknown;
  system: string;
  /** The turns' roles (or item types) in order. */
  turns: string[];
  text: string;
  /** Images as URLs (inline data as a data URL). */
  images: string[];
  call: { id: string; name: string; args: unknown };
  /** The result, parsed, and the call it answers (an id, or the function's name for Gemini). */
  result: { answers: string; content: unknown };
}

// The upstream bodies are read loosely: each format's shape is checked by the values compared.
// biome-ignore lint/suspicious/noExplicitAny: the matrix reads deep into JSON bodies of every API
type J = Record<string, any>;

/** What an upstream body in the given format says about the conversation. */
function sentHistory(wire: WireFormat, body: J): SentHistory {
  const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  switch (wire) {
    case "chat": {
      const m = body.messages as J[];
      const user = m.find((x) => x.role === "user")!;
      const call = m.find((x) => x.role === "assistant")!.tool_calls[0];
      const tool = m.find((x) => x.role === "tool")!;
      const field = "max_completion_tokens" in body ? "max_completion_tokens" : "max_tokens";
      return {
        maxTokens: [field, body[field]],
        toolChoice: body.tool_choice,
        system: m.find((x) => x.role === "system")!.content,
        turns: m.map((x) => x.role),
        text: (user.content as J[])
          .filter((p) => p.type === "text")
          .map((p) => p.text)
          .join(""),
        images: (user.content as J[]).filter((p) => p.type === "image_url").map((p) => p.image_url.url),
        call: { id: call.id, name: call.function.name, args: parse(call.function.arguments) },
        result: { answers: tool.tool_call_id, content: parse(tool.content) },
      };
    }
    case "responses": {
      const items = body.input as J[];
      const user = items.find((x) => x.role === "user")!;
      const call = items.find((x) => x.type === "function_call")!;
      const output = items.find((x) => x.type === "function_call_output")!;
      return {
        maxTokens: ["max_output_tokens", body.max_output_tokens],
        toolChoice: body.tool_choice,
        system: body.instructions,
        turns: items.map((x) => x.type ?? "message"),
        text: (user.content as J[])
          .filter((p) => p.type === "input_text")
          .map((p) => p.text)
          .join(""),
        images: (user.content as J[]).filter((p) => p.type === "input_image").map((p) => p.image_url),
        call: { id: call.call_id, name: call.name, args: parse(call.arguments) },
        result: { answers: output.call_id, content: parse(output.output) },
      };
    }
    case "messages": {
      const turns = body.messages as J[];
      const user = turns[0]!.content as J[];
      const use = (turns[1]!.content as J[]).find((b) => b.type === "tool_use")!;
      const result = (turns[2]!.content as J[]).find((b) => b.type === "tool_result")!;
      return {
        maxTokens: ["max_tokens", body.max_tokens],
        toolChoice: body.tool_choice,
        system: typeof body.system === "string" ? body.system : (body.system as J[]).map((b) => b.text).join(""),
        turns: turns.map((t) => t.role),
        text: user
          .filter((b) => b.type === "text")
          .map((b) => b.text)
          .join(""),
        images: user.filter((b) => b.type === "image").map((b) => (b.source.type === "base64" ? `data:${b.source.media_type};base64,${b.source.data}` : b.source.url)),
        call: { id: use.id, name: use.name, args: use.input },
        result: { answers: result.tool_use_id, content: parse(result.content) },
      };
    }
    case "gemini": {
      const contents = body.contents as J[];
      const parts = contents[0]!.parts as J[];
      const call = (contents[1]!.parts as J[]).find((p) => p.functionCall)!.functionCall;
      const response = (contents[2]!.parts as J[]).find((p) => p.functionResponse)!.functionResponse;
      return {
        maxTokens: ["generationConfig.maxOutputTokens", body.generationConfig?.maxOutputTokens],
        toolChoice: body.toolConfig,
        system: (body.systemInstruction.parts as J[]).map((p) => p.text).join(""),
        turns: contents.map((c) => c.role),
        text: parts
          .filter((p) => typeof p.text === "string")
          .map((p) => p.text)
          .join(""),
        images: parts.filter((p) => p.inlineData || p.fileData).map((p) => (p.inlineData ? `data:${p.inlineData.mimeType};base64,${p.inlineData.data}` : p.fileData.fileUri)),
        // Gemini's calls have no id: the result names the function it answers.
        call: { id: "", name: call.name, args: call.args },
        result: { answers: response.name, content: response.response },
      };
    }
    case "converse": {
      const turns = body.messages as J[];
      const user = turns[0]!.content as J[];
      const use = (turns[1]!.content as J[]).find((b) => b.toolUse)!.toolUse;
      const result = (turns[2]!.content as J[]).find((b) => b.toolResult)!.toolResult;
      const resultBlock = result.content[0] as J;
      return {
        maxTokens: ["inferenceConfig.maxTokens", body.inferenceConfig?.maxTokens],
        toolChoice: body.toolConfig?.toolChoice,
        system: (body.system as J[]).map((b) => b.text).join(""),
        turns: turns.map((t) => t.role),
        text: user
          .filter((b) => typeof b.text === "string")
          .map((b) => b.text)
          .join(""),
        images: user.filter((b) => b.image).map((b) => `data:image/${b.image.format};base64,${b.image.source.bytes}`),
        call: { id: use.toolUseId, name: use.name, args: use.input },
        result: { answers: result.toolUseId, content: resultBlock.json ?? parse(resultBlock.text) },
      };
    }
  }
}

const TURNS: Record<WireFormat, string[]> = {
  chat: ["system", "user", "assistant", "tool"],
  responses: ["message", "function_call", "function_call_output"],
  messages: ["user", "assistant", "user"],
  gemini: ["user", "model", "user"],
  converse: ["user", "assistant", "user"],
};

describe.each(APIS.map((api) => [INBOUND[api].label, api] as const))("%s in: a history with images, a tool call and its result", (_label, api) => {
  test.each(UPSTREAMS.map((k) => [k.label, k] as const))("reaches the %s upstream in its own format", async (_l, kind) => {
    const reply = kind.recordings.text.body ?? kind.recordings.tool.body!;
    upstream.enqueue(replay(kind.wire, reply));
    const urlImage = kind.imageUrls !== false;
    const body = historyBody(api, kind.id, urlImage);
    const res = await postSse(`${gw.url}${INBOUND[api].path}`, body, clientHeaders(api));
    expect(res.status, res.text.slice(0, 400)).toBe(200);
    expect(res.headers["x-tollgate-dropped"]).toBeUndefined();
    const sent = upstream.requests.at(-1)!.body as J;
    if (kind.wire === api) expect(sent).toEqual({ ...body, model: kind.model });
    // OpenAI's own API (and Azure's) name the limit max_completion_tokens, compatible servers max_tokens; a relayed body keeps the client's.
    const maxField = {
      chat: kind.wire === api || kind.id === "openai" || kind.id === "azure" ? "max_completion_tokens" : "max_tokens",
      responses: "max_output_tokens",
      messages: "max_tokens",
      gemini: "generationConfig.maxOutputTokens",
      converse: "inferenceConfig.maxTokens",
    }[kind.wire];
    expect(sentHistory(kind.wire, sent)).toEqual({
      maxTokens: [maxField, 512],
      toolChoice: { chat: "required", responses: "required", messages: { type: "any" }, gemini: { functionCallingConfig: { mode: "ANY" } }, converse: { any: {} } }[kind.wire],
      system: "Be brief.",
      turns: TURNS[kind.wire],
      text: QUESTION,
      images: urlImage ? [DATA_URL, IMAGE_URL] : [DATA_URL],
      call: { id: kind.wire === "gemini" ? "" : "call_1", name: "weather", args: { location: "Paris" } },
      result: { answers: kind.wire === "gemini" ? "weather" : "call_1", content: JSON.parse(RESULT) },
    });
  });
});

describe.each(APIS.map((api) => [INBOUND[api].label, api] as const))("%s in: an image by URL", (_label, api) => {
  test.each(UPSTREAMS.filter((k) => k.imageUrls === false).map((k) => [k.label, k] as const))("is refused by the %s upstream with a 400 naming it, before any call", async (_l, kind) => {
    const before = upstream.requests.length;
    const res = await postSse(`${gw.url}${INBOUND[api].path}`, historyBody(api, kind.id), clientHeaders(api));
    expect(res.status, res.text.slice(0, 400)).toBe(400);
    expect(res.text).toContain("data URLs only");
    expect(upstream.requests.length).toBe(before);
  });
});

describe("Chat Completions in: the usage chunk", () => {
  test.each(UPSTREAMS.filter((k) => k.recordings.text.stream).map((k) => [k.label, k] as const))("from the %s upstream, only when the client asked for it", async (_l, kind) => {
    upstream.enqueue(replay(kind.wire, kind.recordings.text.stream!));
    const res = await postSse(`${gw.url}/v1/chat/completions`, { model: kind.id, messages: [{ role: "user", content: PROMPT }], stream: true }, clientHeaders("chat"));
    expect(res.status).toBe(200);
    const chunks = res.payloads.slice(0, -1).map((p) => JSON.parse(p) as { choices: unknown[]; usage?: unknown });
    // Mistral sends its usage inside the finish chunk, which is relayed as it is; no chunk is usage only.
    expect(chunks.filter((c) => c.choices.length === 0 && c.usage)).toEqual([]);
    if (kind.wire !== "chat") expect(chunks.filter((c) => c.usage)).toEqual([]);
    expect(res.payloads.at(-1)).toBe("[DONE]");
    // The ledger has the usage all the same.
    expect((await gw.recordOf(res.headers["x-request-id"])).usage).toEqual(readRecording(kind.wire, kind.recordings.text.stream!).usage);
  });
});
