import { describe, expect, it } from "vitest";
import { accumulateEvents } from "../../../test/support/canonical-events.js";
import { listFixtures, loadChunks } from "../../../test/support/fixtures.js";
import { expectedFromResponsesChunks, payloadType, repairTruncatedPayloads, splitResponsesStreams } from "../../../test/support/responses-fixtures.js";
import { itReplays, type Replay, recordedBytes, replay as replayThrough } from "../../../test/support/replay.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import { createOpenAIResponsesAdapter } from "./responses-adapter.js";
import { UpstreamReportedError } from "./responses-error.js";
import { ResponsesStreamParser } from "./responses-stream.js";

const adapter = createOpenAIResponsesAdapter({ baseURL: "http://127.0.0.1:1/v1", headers: {} });
const RECORDINGS = listFixtures("openai-responses", ".chunks.txt");

/** Feeds the pieces through the decoder and one stream parser, as the pipeline does (stopping at a throw). */
const replay = (pieces: readonly Uint8Array[]): Replay => replayThrough(adapter, pieces);

function check(payloads: string[], r: Replay, context: string): void {
  const expected = expectedFromResponsesChunks(payloads);
  // The decoder hands over every payload byte for byte under its event name (the passthrough relay forwards them).
  expect(
    r.messages.map((m) => m.data),
    context,
  ).toEqual(payloads);
  expect(
    r.messages.map((m) => m.event),
    context,
  ).toEqual(payloads.map(payloadType));
  if (expected.malformed) {
    expect(r.thrown?.at, `${context}: a payload that is not JSON is refused`).toBe(expected.last);
    expect(r.thrown?.error, context).toBeInstanceOf(UpstreamProtocolError);
  } else if (expected.error !== null) {
    expect(r.thrown, `${context}: the error event throws`).toBeDefined();
    expect(r.thrown!.at, context).toBe(expected.last);
    expect(r.thrown!.error, context).toBeInstanceOf(UpstreamReportedError);
    expect((r.thrown!.error as UpstreamReportedError).status, context).toBe(502);
    expect((r.thrown!.error as Error).message, context).toContain(expected.error);
  } else {
    expect(r.thrown, context).toBeUndefined();
    expect(r.results[expected.last]?.final, `${context}: the terminal event is final`).toBe(true);
    expect(
      r.results.slice(0, expected.last).every((c) => c !== null && !c.final),
      `${context}: nothing before it is`,
    ).toBe(true);
    expect(
      r.results.slice(expected.last + 1).every((c) => c === null),
      `${context}: null after it`,
    ).toBe(true);
  }
  const chunks = r.results.filter((c): c is UpstreamChunk => c !== null);
  expect(
    chunks.map((c) => c.raw),
    context,
  ).toEqual(payloads.slice(0, chunks.length));
  expect(
    chunks.map((c) => c.event),
    context,
  ).toEqual(r.messages.slice(0, chunks.length).map((m) => m.event));

  const events = chunks.flatMap((c) => c.events);
  const got = accumulateEvents(events);
  if (expected.malformed && expected.last === 0) {
    expect(events, context).toEqual([]);
    return;
  }
  expect(events[0], `${context}: response-start first`).toEqual({ type: "response-start", id: expected.id, model: expected.model, created: expected.created });
  expect(got.starts, context).toHaveLength(1);
  const choice = got.choices[0] ?? { text: "", reasoning: "", toolCalls: [] };
  expect(choice.text, `${context}: text`).toBe(expected.text);
  expect(choice.reasoning, `${context}: reasoning`).toBe(expected.reasoning);
  expect(choice.toolCalls, `${context}: tool calls`).toEqual(expected.toolCalls);
  expect(got.canonicalFinish.get(0) ?? null, `${context}: finish`).toBe(expected.finishReason);
  expect(got.usage, `${context}: usage`).toEqual(expected.usage);
}

function isJson(payload: string): boolean {
  try {
    JSON.parse(payload);
    return true;
  } catch {
    return false;
  }
}

describe.each(RECORDINGS)("replay %s", (fixture) => {
  const recorded = loadChunks(fixture);
  const streams = splitResponsesStreams(recorded).map((s, i) => [`${i}`, s] as const);
  // A recording with lines that are not JSON is replayed as recorded (the parser must refuse it) and repaired.
  const repaired = recorded.every(isJson) ? [] : splitResponsesStreams(repairTruncatedPayloads(recorded)).map((s, i) => [`${i} repaired`, s] as const);

  describe.each([...streams, ...repaired])("stream %s", (n, payloads) => {
    itReplays(fixture, payloads, (pieces, context) => check(payloads, replay(pieces), `${context} stream ${n}`), { maxPieces: 40 });
  });
});

describe("stream parser", () => {
  const frame = (payload: Record<string, unknown>): SseMessage => ({ event: String(payload.type), data: JSON.stringify(payload) });
  const created = frame({ type: "response.created", response: { id: "resp_1", model: "m", created_at: 5, status: "in_progress", output: [] } });

  it("the error recording throws after its first events, naming the provider's message", () => {
    const r = replay([recordedBytes("openai-responses/openai-error.1.chunks.txt")]);
    expect(r.results).toHaveLength(2);
    expect(r.results.every((c) => c?.events.every((e) => e.type === "response-start"))).toBe(true);
    expect(r.thrown?.at).toBe(2);
    expect(r.thrown?.error).toMatchObject({ status: 502, type: "upstream_error", upstreamCode: "insufficient_quota", retryable: false, fallbackable: true });
    expect((r.thrown!.error as Error).message).toMatch(/^Upstream reported an error: You exceeded your current quota/);
  });

  it("a recording of several turns ends at the first terminal event", () => {
    const recording = "openai-responses/openai-reasoning-encrypted-content.1.chunks.txt";
    const first = splitResponsesStreams(loadChunks(recording))[0]!;
    const r = replay([recordedBytes(recording)]);
    expect(r.results.filter((c) => c !== null)).toHaveLength(first.length);
    expect(r.results.slice(first.length).every((c) => c === null)).toBe(true);
  });

  it("response.failed throws; response.incomplete finishes with length", () => {
    const failing = new ResponsesStreamParser();
    failing.parseStreamMessage(created, true);
    expect(() => failing.parseStreamMessage(frame({ type: "response.failed", response: { status: "failed", error: { code: "server_error", message: "The model crashed" } } }), false)).toThrow(
      /The model crashed/,
    );

    const cut = new ResponsesStreamParser();
    cut.parseStreamMessage(created, true);
    const last = cut.parseStreamMessage(
      frame({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [], usage: { input_tokens: 3, output_tokens: 7 } } }),
      false,
    );
    expect(last?.final).toBe(true);
    expect(last?.events).toEqual([
      { type: "finish", choice: 0, reason: "length", raw: "max_output_tokens" },
      { type: "usage", usage: { inputTokens: 3, outputTokens: 7, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" } },
    ]);
  });

  it("numbers function calls by their order among function calls, whatever their output index", () => {
    const p = new ResponsesStreamParser();
    const events = [
      created,
      frame({ type: "response.output_item.added", output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [] } }),
      frame({ type: "response.output_item.added", output_index: 1, item: { type: "function_call", id: "fc_a", call_id: "call_a", name: "a", arguments: "" } }),
      frame({ type: "response.output_item.added", output_index: 2, item: { type: "function_call", id: "fc_b", call_id: "call_b", name: "b", arguments: "" } }),
      frame({ type: "response.function_call_arguments.delta", item_id: "fc_b", output_index: 2, delta: '{"y":' }),
      frame({ type: "response.function_call_arguments.delta", item_id: "fc_a", output_index: 1, delta: '{"x":1}' }),
      // Whole arguments repeat what the deltas said: only an unseen tail is new.
      frame({ type: "response.function_call_arguments.done", item_id: "fc_b", output_index: 2, arguments: '{"y":2}' }),
      frame({ type: "response.function_call_arguments.done", item_id: "fc_a", output_index: 1, arguments: '{"x":1}' }),
      frame({ type: "response.completed", response: { status: "completed", output: [] } }),
    ].flatMap((m, i) => p.parseStreamMessage(m, i === 0)!.events);
    const got = accumulateEvents(events);
    expect(got.choices[0]!.toolCalls).toEqual([
      { id: "call_a", name: "a", arguments: '{"x":1}' },
      { id: "call_b", name: "b", arguments: '{"y":2}' },
    ]);
    expect(got.canonicalFinish.get(0)).toBe("tool_calls");
  });

  it("a stream without deltas takes its content from the terminal response", () => {
    const p = new ResponsesStreamParser();
    p.parseStreamMessage(created, true);
    const output = [
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello" }] },
      { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" },
    ];
    const events = p.parseStreamMessage(frame({ type: "response.completed", response: { status: "completed", output } }), false)!.events;
    const got = accumulateEvents(events);
    expect(got.choices[0]).toMatchObject({ text: "Hello", toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }] });
    expect(got.canonicalFinish.get(0)).toBe("tool_calls");
  });

  it("a payload that is not JSON is a protocol error", () => {
    const p = new ResponsesStreamParser();
    expect(() => p.parseStreamMessage({ event: "response.created", data: "{not json" }, true)).toThrow(UpstreamProtocolError);
  });

  it("parsers are per stream: two interleaved streams keep their own tool numbering", () => {
    const a = adapter.streamParser!();
    const b = adapter.streamParser!();
    a.parseStreamMessage(created, true);
    b.parseStreamMessage(created, true);
    const call = (id: string) => frame({ type: "response.output_item.added", output_index: 0, item: { type: "function_call", id, call_id: id, name: "f", arguments: "" } });
    expect(a.parseStreamMessage(call("x"), false)!.events[0]).toMatchObject({ index: 0, id: "x" });
    expect(b.parseStreamMessage(call("y"), false)!.events[0]).toMatchObject({ index: 0, id: "y" });
  });
});
