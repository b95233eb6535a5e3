import { apiId } from "../api-id.js";
import { describe, expect, it } from "vitest";
import { anthropicExchanges, expectedFromAnthropicChunks } from "../../../test/support/anthropic-expected.js";
import { CHAT_FORMAT_FOLDERS, chatSseBytes, expectedFromChatChunks, listFixtures, loadChunks, namedEventSseBytes } from "../../../test/support/fixtures.js";
import { replay } from "../../../test/support/replay.js";
import { renderError } from "../../errors/render.js";
import { InvalidRequestError, ShuttingDownError } from "../../errors/gateway-error.js";
import { UpstreamTimeoutError } from "../../errors/upstream-errors.js";
import { createAnthropicAdapter } from "../../providers/anthropic/adapter.js";
import { UpstreamStreamError } from "../../providers/anthropic/stream-error.js";
import { createOpenAIChatAdapter } from "../../providers/openai/adapter.js";
import type { ProviderAdapter } from "../../providers/provider.js";
import { SseDecoder, type SseMessage } from "../../sse/decoder.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import type { StreamEncoder } from "../inbound-codec.js";
import { passthroughMessagesEncoder, translatingMessagesEncoder } from "./encode-stream.js";
import { parseMessagesRequest } from "./parse-request.js";

const request = parseMessagesRequest({ model: "route", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] });
const anthropic = createAnthropicAdapter({ baseURL: "http://x/v1", version: "2023-06-01", headers: {}, defaultMaxTokens: 1 });
const openai = createOpenAIChatAdapter({ baseURL: "http://x/v1", headers: {}, streamUsageOption: true });

function decode(text: string): SseMessage[] {
  const decoder = new SseDecoder();
  return [...decoder.push(Buffer.from(text)), ...decoder.end()];
}

/** Upstream bytes → the adapter's chunks → the encoder's frames, as the relay runs them. */
function encode(adapter: ProviderAdapter, bytes: Buffer, encoder: StreamEncoder): string {
  const { chunks, thrown } = replay(adapter, [bytes]);
  expect(thrown).toBeUndefined();
  return chunks.map((chunk) => encoder.chunk(chunk)).join("") + encoder.end();
}

/** The Messages event grammar: message_start, blocks opened and closed in index order, message_delta, message_stop. */
function checkGrammar(messages: SseMessage[]): void {
  const types = messages.map((m) => m.event);
  expect(messages.every((m) => (JSON.parse(m.data) as { type: string }).type === m.event)).toBe(true);
  expect(types[0]).toBe("message_start");
  expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
  let open: number | undefined;
  let next = 0;
  for (const m of messages) {
    const data = JSON.parse(m.data) as { index?: number };
    if (m.event === "content_block_start") {
      expect(open).toBeUndefined();
      expect(data.index).toBe(next++);
      open = data.index;
    } else if (m.event === "content_block_delta") {
      expect(data.index).toBe(open);
    } else if (m.event === "content_block_stop") {
      expect(data.index).toBe(open);
      open = undefined;
    }
  }
  expect(open).toBeUndefined();
}

describe("passthroughMessagesEncoder", () => {
  it.each(listFixtures("anthropic", ".chunks.txt"))("relays %s frame for frame", (recording) => {
    const bytes = namedEventSseBytes(loadChunks(recording));
    // Byte-identical: the recordings' own framing is what the encoder writes.
    expect(encode(anthropic, bytes, passthroughMessagesEncoder())).toBe(bytes.toString("utf8"));
  });

  it("writes errors as Anthropic error events", () => {
    const frame = passthroughMessagesEncoder().error(renderError(new UpstreamStreamError("overloaded_error", "Overloaded")));
    expect(decode(frame)).toEqual([
      { event: "error", data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Upstream reported an error mid-stream (overloaded_error): Overloaded" } }) },
    ]);
  });

  it("names a frame by its payload when the upstream did not", () => {
    const chunk: UpstreamChunk = { raw: '{"type":"ping"}', events: [] };
    expect(passthroughMessagesEncoder().chunk(chunk)).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});

const chatRecordings = CHAT_FORMAT_FOLDERS.flatMap((folder) => listFixtures(folder, ".chunks.txt"));

describe("translatingMessagesEncoder from Chat Completions recordings", () => {
  it.each(chatRecordings)("%s", (recording) => {
    const payloads = loadChunks(recording);
    const chat = expectedFromChatChunks(payloads);
    const messages = decode(encode(openai, chatSseBytes(payloads), translatingMessagesEncoder(request)));
    checkGrammar(messages);
    // Read back with the independent Messages accumulator: the same answer, the same usage.
    const got = expectedFromAnthropicChunks(messages.map((m) => m.data));
    const want = chat.choices[0]!;
    const stop = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" }[want.finishReason ?? "stop"] ?? "end_turn";
    expect(got.choices).toEqual([{ index: 0, text: want.text, reasoning: want.reasoning, toolCalls: want.toolCalls.map((t) => ({ ...t, arguments: t.arguments || "{}" })), finishReason: stop }]);
    expect(got.usage).toEqual(
      chat.usage ? { ...chat.usage, reasoningTokens: 0 } : { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" },
    );
    const upstreamId = (JSON.parse(payloads[0]!) as { id?: string }).id;
    // Messages ids have Messages' form: the upstream's own id behind msg_.
    if (upstreamId) expect(got.id).toBe(apiId("msg_", upstreamId));
    else expect(got.id).toMatch(/^msg_[0-9a-f]{24}$/);
  });
});

describe("translatingMessagesEncoder from Anthropic recordings (Messages → canonical → Messages)", () => {
  const exchanges = listFixtures("anthropic", ".chunks.txt").flatMap((recording) => anthropicExchanges(loadChunks(recording)).map((payloads, i) => ({ name: `${recording} #${i + 1}`, payloads })));
  it.each(exchanges)("$name", ({ payloads }) => {
    const messages = decode(encode(anthropic, namedEventSseBytes(payloads), translatingMessagesEncoder(request)));
    checkGrammar(messages);
    const original = expectedFromAnthropicChunks(payloads);
    const got = expectedFromAnthropicChunks(messages.map((m) => m.data));
    expect({ ...got, types: [] }).toEqual({ ...original, types: [] });
  });
});

describe("translatingMessagesEncoder", () => {
  const run = (chunks: UpstreamChunk[]) => {
    const encoder = translatingMessagesEncoder(request);
    return decode(chunks.map((c) => encoder.chunk(c)).join("") + encoder.end()).map((m) => JSON.parse(m.data) as Record<string, unknown>);
  };

  it("switches blocks when the kind or the tool changes, and holds the finish for message_delta", () => {
    const events = run([
      { raw: "", events: [{ type: "response-start", id: "x1", model: "gpt", created: 1 }] },
      { raw: "", events: [{ type: "reasoning-delta", choice: 0, text: "think" }] },
      { raw: "", events: [{ type: "text-delta", choice: 0, text: "Hi" }] },
      { raw: "", events: [{ type: "tool-call-delta", choice: 0, index: 0, id: "c1", name: "f", argumentsDelta: '{"a":' }] },
      { raw: "", events: [{ type: "tool-call-delta", choice: 0, index: 0, argumentsDelta: "1}" }] },
      {
        raw: "",
        events: [
          { type: "tool-call-delta", choice: 0, index: 1, id: "c2", name: "g", argumentsDelta: "" },
          { type: "finish", choice: 0, reason: "tool_calls" },
        ],
      },
      { raw: "", events: [{ type: "usage", usage: { inputTokens: 50, outputTokens: 9, cachedInputTokens: 30, cacheWriteTokens: 0, reasoningTokens: 2, source: "reported" } }] },
    ]);
    expect(events).toEqual([
      {
        type: "message_start",
        message: {
          id: "msg_x1",
          type: "message",
          role: "assistant",
          model: "gpt",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
        },
      },
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "think" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "c1", name: "f", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"a":' } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "1}" } },
      { type: "content_block_stop", index: 2 },
      { type: "content_block_start", index: 3, content_block: { type: "tool_use", id: "c2", name: "g", input: {} } },
      { type: "content_block_stop", index: 3 },
      { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 30, output_tokens: 9 } },
      { type: "message_stop" },
    ]);
  });

  it("maps finish reasons to stop reasons", () => {
    const stop = (reason: "stop" | "length" | "tool_calls" | "content_filter" | "error" | "other") =>
      run([{ raw: "", events: [{ type: "finish", choice: 0, reason }] }]).find((e) => e.type === "message_delta")!.delta;
    expect(stop("stop")).toMatchObject({ stop_reason: "end_turn" });
    expect(stop("length")).toMatchObject({ stop_reason: "max_tokens" });
    expect(stop("tool_calls")).toMatchObject({ stop_reason: "tool_use" });
    expect(stop("content_filter")).toMatchObject({ stop_reason: "refusal" });
    expect(stop("other")).toMatchObject({ stop_reason: "end_turn" });
  });

  it("an empty answer is still a well-formed message", () => {
    expect(run([]).map((e) => e.type)).toEqual(["message_start", "message_delta", "message_stop"]);
  });

  it("ignores other choices", () => {
    const events = run([
      {
        raw: "",
        events: [
          { type: "text-delta", choice: 1, text: "no" },
          { type: "text-delta", choice: 0, text: "yes" },
        ],
      },
    ]);
    expect(events.filter((e) => e.type === "content_block_delta")).toEqual([{ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "yes" } }]);
  });

  it("reports a failure as an error event, without message_stop", () => {
    const encoder = translatingMessagesEncoder(request);
    const out = encoder.chunk({ raw: "", events: [{ type: "text-delta", choice: 0, text: "partial" }] }) + encoder.error(renderError(new UpstreamTimeoutError("idle", 100)));
    const messages = decode(out);
    expect(messages.at(-1)).toEqual({ event: "error", data: JSON.stringify({ type: "error", error: { type: "timeout_error", message: "The upstream exceeded the idle timeout of 100 ms." } }) });
    expect(messages.some((m) => m.event === "message_stop")).toBe(false);
  });
});

describe("error bodies", () => {
  it("use Anthropic's type names", async () => {
    const { toAnthropicErrorBody } = await import("./error-body.js");
    const { AuthenticationError, NotFoundError, PermissionDeniedError, PayloadTooLargeError, InternalError } = await import("../../errors/gateway-error.js");
    const { UpstreamHttpError, AllTargetsFailedError, CircuitOpenError } = await import("../../errors/upstream-errors.js");
    const type = (err: unknown) => toAnthropicErrorBody(renderError(err)).error.type;
    expect(type(new InvalidRequestError("invalid_request", "bad"))).toBe("invalid_request_error");
    expect(type(new AuthenticationError("invalid_api_key", "no"))).toBe("authentication_error");
    expect(type(new PermissionDeniedError("model_not_allowed", "no"))).toBe("permission_error");
    expect(type(new NotFoundError("model_not_found", "no"))).toBe("not_found_error");
    expect(type(new PayloadTooLargeError(10))).toBe("request_too_large");
    expect(type(new UpstreamHttpError(429, "slow down", 1000))).toBe("rate_limit_error");
    expect(type(new UpstreamHttpError(500, "boom", undefined))).toBe("api_error");
    expect(type(new InternalError(new Error("x")))).toBe("api_error");
    expect(type(new ShuttingDownError())).toBe("overloaded_error");
    expect(type(new CircuitOpenError("up/m", 1000))).toBe("overloaded_error");
    expect(type(new UpstreamStreamError("overloaded_error", "Overloaded"))).toBe("overloaded_error");
    expect(type(new AllTargetsFailedError("r", [{ target: "up/m", attempt: 1, code: "upstream_timeout", message: "t" }], undefined))).toBe("timeout_error");
    expect(toAnthropicErrorBody(renderError(new NotFoundError("model_not_found", 'Unknown model "x".')))).toEqual({ type: "error", error: { type: "not_found_error", message: 'Unknown model "x".' } });
  });
});
