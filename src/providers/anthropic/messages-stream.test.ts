import { describe, expect, it } from "vitest";
import { anthropicExchanges, expectedFromAnthropicChunks } from "../../../test/support/anthropic-expected.js";
import { accumulateEvents } from "../../../test/support/canonical-events.js";
import { listFixtures, loadChunks } from "../../../test/support/fixtures.js";
import { collect, expectVerbatim, itReplays, type Replay, readFrames, relayUnread, replay, tapped } from "../../../test/support/replay.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import { createAnthropicAdapter } from "./adapter.js";
import { UpstreamStreamError } from "./stream-error.js";

const adapter = createAnthropicAdapter({ baseURL: "http://127.0.0.1:1/v1", version: "2023-06-01", headers: {}, defaultMaxTokens: 1024 });
const RECORDINGS = listFixtures("anthropic", ".chunks.txt");

function checkReplay(payloads: string[], { messages, results: chunks }: Replay, context: string): void {
  const expected = expectedFromAnthropicChunks(payloads);
  // Every payload arrives byte for byte with its event name (pings included).
  expect(
    messages.map((m) => m.data),
    context,
  ).toEqual(payloads);
  expect(
    messages.map((m) => m.event),
    context,
  ).toEqual(expected.types);
  const parsed = expectVerbatim(chunks, payloads, context);
  expect(
    parsed.map((c) => c.event),
    context,
  ).toEqual(expected.types);
  // message_stop, and only it, ends the stream.
  expect(
    parsed.map((c) => c.final === true),
    `${context}: final`,
  ).toEqual(expected.types.map((t) => t === "message_stop"));

  const events = parsed.flatMap((c) => c.events);
  const got = accumulateEvents(events);
  expect(got.starts, `${context}: one response-start`).toEqual([{ type: "response-start", id: expected.id, model: expected.model, created: 0 }]);
  expect(events[0]?.type, `${context}: response-start comes first`).toBe("response-start");
  expect(got.choices, `${context}: text, reasoning, tool calls, stop reason`).toEqual(expected.choices);
  // One usage event, at message_delta, with message_start's input figures folded in.
  expect(got.usageEvents, `${context}: usage`).toEqual(expected.usage ? [expected.usage] : []);
  // No usage before content: a stream that stalls after message_start can still fall back.
  const firstUsage = events.findIndex((e) => e.type === "usage");
  const firstContent = events.findIndex((e) => e.type !== "response-start" && e.type !== "usage");
  if (firstUsage >= 0) expect(firstContent, `${context}: content or finish before usage`).toBeLessThan(firstUsage);
  // Every tool call's arguments are a JSON object.
  for (const call of got.choices[0]?.toolCalls ?? []) expect(JSON.parse(call.arguments), context).toBeTypeOf("object");
}

describe("Anthropic Messages stream: recorded transcripts", () => {
  it("finds every Anthropic recording", () => {
    expect(RECORDINGS).toEqual([
      "anthropic/anthropic-clear-thinking.1.chunks.txt",
      "anthropic/anthropic-code-execution-20250825.1.chunks.txt",
      "anthropic/anthropic-combined-context-editing.1.chunks.txt",
      "anthropic/anthropic-compaction.1.chunks.txt",
      "anthropic/anthropic-fallback.chunks.txt",
      "anthropic/anthropic-json-tool.1.chunks.txt",
      "anthropic/anthropic-mcp.1.chunks.txt",
      "anthropic/anthropic-message-delta-input-tokens.chunks.txt",
      "anthropic/anthropic-programmatic-tool-calling.1.chunks.txt",
      "anthropic/anthropic-refusal.chunks.txt",
      "anthropic/anthropic-text.chunks.txt",
      "anthropic/anthropic-tool-no-args.chunks.txt",
      "anthropic/anthropic-web-fetch-tool.1.chunks.txt",
      "anthropic/anthropic-web-search-tool.1.chunks.txt",
    ]);
  });

  // A recording of several exchanges is checked per exchange: each is one stream.
  const EXCHANGES = RECORDINGS.flatMap((recording) =>
    anthropicExchanges(loadChunks(recording)).map((payloads, i, all) => ({ name: all.length > 1 ? `${recording} exchange ${i + 1}` : recording, recording, payloads })),
  );
  describe.each(EXCHANGES)("$name", ({ recording, payloads }) => {
    itReplays(recording, payloads, (pieces, context) => checkReplay(payloads, replay(adapter, pieces), context), { everyByte: true });
  });
});

/** The provider's own figures, spelled out, in case the expected-value helper and the parser agree on a mistake. */
describe("Anthropic Messages stream: relayed as the bytes came (same format)", () => {
  describe.each(RECORDINGS)("%s", (recording) => {
    const payloads = loadChunks(recording);
    itReplays(
      recording,
      payloads,
      (pieces, context) => {
        const wire = Buffer.concat(pieces);
        const got = relayUnread(adapter, pieces);
        expect(got.failure, context).toBeUndefined();
        // Every frame byte for byte, however the reads cut them, through the first message_stop (what follows is drained).
        const eol = wire.includes("\r") ? "\r\n\r\n" : "\n\n";
        const end = wire.indexOf(eol, wire.indexOf('{"type":"message_stop"}')) + eol.length;
        expect(got.bytes.equals(wire.subarray(0, end)), context).toBe(true);
        // The usage and text of the same bytes parsed frame by frame.
        expect({ usage: got.usage, text: got.text }, context).toEqual(tapped(readFrames(adapter, pieces).chunks));
        // Anthropic ends its lines in \n; deltas framed otherwise are parsed, as every other event.
        if (eol === "\n\n" && payloads.some((p) => p.startsWith('{"type":"content_block_delta"'))) expect(got.unread, `${context}: content deltas go unparsed`).toBeGreaterThan(0);
      },
      { everyByte: true },
    );
  });
});

describe("Anthropic Messages stream: figures from the recordings", () => {
  const run = (recording: string) => collect(adapter, recording);

  it("text: usage from message_start and message_delta", () => {
    const got = run("anthropic/anthropic-text.chunks.txt");
    expect(got.choices[0]?.text).toBe("Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?");
    expect(got.usage).toEqual({ inputTokens: 12, outputTokens: 30, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
    expect(got.canonicalFinish.get(0)).toBe("stop");
  });

  it("thinking: reasoning deltas, then text", () => {
    const got = run("anthropic/anthropic-clear-thinking.1.chunks.txt");
    expect(got.choices[0]?.reasoning).toBe("The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185");
    expect(got.choices[0]?.text).toBe("925 ÷ 5 = 185");
    expect(got.usage).toMatchObject({ inputTokens: 69, outputTokens: 53 });
  });

  it("tool use after a text block is tool call 0, its empty input is {}", () => {
    const got = run("anthropic/anthropic-tool-no-args.chunks.txt");
    expect(got.choices[0]?.text).toBe("I'll update the issue list for you.");
    expect(got.choices[0]?.toolCalls).toEqual([{ id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", name: "updateIssueList", arguments: "{}" }]);
    expect(got.canonicalFinish.get(0)).toBe("tool_calls");
  });

  it("JSON tool: arguments streamed as partial JSON", () => {
    const got = run("anthropic/anthropic-json-tool.1.chunks.txt");
    expect(JSON.parse(got.choices[0]!.toolCalls[0]!.arguments)).toEqual({ elements: [{ location: "San Francisco", temperature: 58, condition: "sunny" }] });
    expect(got.usage).toMatchObject({ inputTokens: 849, outputTokens: 47 });
  });

  it("message_delta's input figures replace message_start's", () => {
    expect(run("anthropic/anthropic-message-delta-input-tokens.chunks.txt").usage).toMatchObject({ inputTokens: 61, outputTokens: 2 });
    expect(run("anthropic/anthropic-fallback.chunks.txt").usage).toMatchObject({ inputTokens: 412, outputTokens: 264 });
  });

  it("refusal: no content, content_filter", () => {
    const got = run("anthropic/anthropic-refusal.chunks.txt");
    expect(got.choices).toEqual([{ index: 0, text: "", reasoning: "", toolCalls: [], finishReason: "refusal" }]);
    expect(got.canonicalFinish.get(0)).toBe("content_filter");
    expect(got.usage).toMatchObject({ inputTokens: 18, outputTokens: 5 });
  });
});

describe("the stream parser", () => {
  const parse = (...payloads: unknown[]) => {
    const parser = adapter.streamParser!();
    return payloads.map((p, i) => parser.parseStreamMessage({ data: JSON.stringify(p), event: (p as { type: string }).type }, i === 0));
  };
  const events = (...payloads: unknown[]) => parse(...payloads).flatMap((c) => c?.events ?? []);

  it("input usage excludes the cache on the wire; canonical input includes it", () => {
    const got = events(
      { type: "message_start", message: { id: "m", model: "c", usage: { input_tokens: 10, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 1 } } },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } },
    );
    expect(got.at(-1)).toEqual({ type: "usage", usage: { inputTokens: 1210, outputTokens: 7, cachedInputTokens: 1000, cacheWriteTokens: 200, reasoningTokens: 0, source: "reported" } });
  });

  it("reads thinking tokens as reasoning tokens", () => {
    const got = events(
      { type: "message_start", message: { usage: { input_tokens: 3 } } },
      { type: "message_delta", delta: {}, usage: { output_tokens: 50, output_tokens_details: { thinking_tokens: 40 } } },
    );
    expect(got.at(-1)).toMatchObject({ usage: { inputTokens: 3, outputTokens: 50, reasoningTokens: 40 } });
  });

  it("numbers tool calls 0, 1, ... whatever their block index; server tool blocks are not tool calls", () => {
    const got = events(
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_start", index: 1, content_block: { type: "server_tool_use", id: "srv", name: "web_search", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"query":"x"}' } },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "a", name: "f", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"k":' } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "1}" } },
      { type: "content_block_start", index: 3, content_block: { type: "tool_use", id: "b", name: "g", input: {} } },
      { type: "content_block_stop", index: 3 },
    );
    expect(got).toEqual([
      { type: "tool-call-delta", choice: 0, index: 0, id: "a", name: "f", argumentsDelta: "" },
      { type: "tool-call-delta", choice: 0, index: 0, argumentsDelta: '{"k":' },
      { type: "tool-call-delta", choice: 0, index: 0, argumentsDelta: "1}" },
      { type: "tool-call-delta", choice: 0, index: 1, id: "b", name: "g", argumentsDelta: "" },
      { type: "tool-call-delta", choice: 0, index: 1, argumentsDelta: "{}" },
    ]);
  });

  it("maps every stop reason", () => {
    const finish = (stop_reason: string) => events({ type: "message_delta", delta: { stop_reason } }).find((e) => e.type === "finish");
    expect(finish("end_turn")).toEqual({ type: "finish", choice: 0, reason: "stop", raw: "end_turn" });
    expect(finish("stop_sequence")).toMatchObject({ reason: "stop" });
    expect(finish("max_tokens")).toMatchObject({ reason: "length" });
    expect(finish("model_context_window_exceeded")).toMatchObject({ reason: "length" });
    expect(finish("tool_use")).toMatchObject({ reason: "tool_calls" });
    expect(finish("refusal")).toMatchObject({ reason: "content_filter" });
    expect(finish("pause_turn")).toMatchObject({ reason: "other", raw: "pause_turn" });
  });

  it("ping and unknown events carry nothing and are kept for relaying", () => {
    expect(parse({ type: "ping" }, { type: "something_new", x: 1 })).toEqual([
      { raw: '{"type":"ping"}', event: "ping", events: [] },
      { raw: '{"type":"something_new","x":1}', event: "something_new", events: [] },
    ]);
  });

  it("an error event mid-stream throws, keeping the provider's type and message", () => {
    const parser = adapter.streamParser!();
    const error = (() => {
      try {
        parser.parseStreamMessage({ event: "error", data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' }, false);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(UpstreamStreamError);
    expect(error).toMatchObject({ status: 503, code: "upstream_overloaded", retryable: true, upstreamType: "overloaded_error" });
    expect((error as Error).message).toMatch(/overloaded_error.*Overloaded/);
    expect(() => parser.parseStreamMessage({ data: '{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}' }, false)).toThrow(
      expect.objectContaining({ retryable: false, code: "upstream_stream_error" }),
    );
  });

  it("rejects what is not an event object", () => {
    const parser = adapter.streamParser!();
    expect(() => parser.parseStreamMessage({ data: "not json" }, true)).toThrow(UpstreamProtocolError);
    expect(() => parser.parseStreamMessage({ data: "[1]" }, true)).toThrow(UpstreamProtocolError);
    expect(() => parser.parseStreamMessage({ data: "{}" }, true)).toThrow(UpstreamProtocolError);
  });

  it("keeps a stream's state to itself: two parsers, two streams", () => {
    const a = adapter.streamParser!();
    const b = adapter.streamParser!();
    a.parseStreamMessage({ data: JSON.stringify({ type: "message_start", message: { usage: { input_tokens: 100 } } }) }, true);
    b.parseStreamMessage({ data: JSON.stringify({ type: "message_start", message: { usage: { input_tokens: 5 } } }) }, true);
    const usageOf = (p: typeof a) => p.parseStreamMessage({ data: JSON.stringify({ type: "message_delta", delta: {}, usage: { output_tokens: 1 } }) }, false)!.events[0];
    expect(usageOf(a)).toMatchObject({ usage: { inputTokens: 100 } });
    expect(usageOf(b)).toMatchObject({ usage: { inputTokens: 5 } });
  });
});
