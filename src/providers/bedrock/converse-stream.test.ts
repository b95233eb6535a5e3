import { describe, expect, it } from "vitest";
import { accumulateEvents } from "../../../test/support/canonical-events.js";
import { eventMessage, exceptionMessage, expectedFromConverseStream } from "../../../test/support/bedrock-fixtures.js";
import { listFixtures, loadChunks } from "../../../test/support/fixtures.js";
import { itReplays, readFrames } from "../../../test/support/replay.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import { createBedrockAdapter } from "./adapter.js";
import { BedrockStreamError } from "./stream-error.js";

const adapter = createBedrockAdapter({ baseURL: "http://127.0.0.1:1", headers: {}, defaultMaxTokens: 1024 });
const RECORDINGS = listFixtures("amazon-bedrock", ".chunks.txt");

/** Bytes through the same reader the pipeline uses: the adapter's decoder and parser. */
const replay = (pieces: readonly Uint8Array[]) => readFrames(adapter, pieces);

function check(lines: string[], { chunks, failure }: { chunks: UpstreamChunk[]; failure: unknown }, context: string): void {
  const expected = expectedFromConverseStream(lines);
  expect(failure, context).toBeUndefined();
  // One frame per event, each payload exactly as sent.
  expect(
    chunks.map((c) => ({ [c.event!]: JSON.parse(c.raw) })),
    context,
  ).toEqual(lines.map((l) => JSON.parse(l)));
  const events = chunks.flatMap((c) => c.events);
  // Converse sends no id, model or creation time; the reader stamps the time it arrived.
  expect(events[0], context).toEqual({ type: "response-start", id: "", model: "", created: expect.any(Number) });
  const got = accumulateEvents(events);
  const choice = got.choices[0]!;
  expect(choice.text, context).toBe(expected.text);
  expect(choice.reasoning, context).toBe(expected.reasoning);
  expect(choice.toolCalls, context).toEqual(expected.toolCalls);
  expect(choice.finishReason, context).toBe(expected.stopReason);
  expect(got.usage, context).toEqual(expected.usage);
}

describe("ConverseStream: recorded transcripts as binary event streams", () => {
  it("finds the recordings", () => {
    expect(RECORDINGS.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(RECORDINGS)("%s", (recording) => {
    const lines = loadChunks(recording);
    itReplays(recording, lines, (pieces, context) => check(lines, replay(pieces), context), { crlf: false });
  });
});

describe("ConverseStream: what the recordings do not show", () => {
  const start = eventMessage("messageStart", { role: "assistant" });
  const stop = (reason: string) => eventMessage("messageStop", { stopReason: reason });

  it("a tool without arguments streams no input: its arguments are {}", () => {
    const { chunks } = replay([
      start,
      eventMessage("contentBlockStart", { contentBlockIndex: 0, start: { toolUse: { toolUseId: "t1", name: "now" } } }),
      eventMessage("contentBlockStop", { contentBlockIndex: 0 }),
      stop("tool_use"),
    ]);
    const got = accumulateEvents(chunks.flatMap((c) => c.events));
    expect(got.choices[0]!.toolCalls).toEqual([{ id: "t1", name: "now", arguments: "{}" }]);
    expect(got.canonicalFinish.get(0)).toBe("tool_calls");
  });

  it("reasoning text streams as reasoning; its signature and redacted reasoning carry nothing canonical", () => {
    const { chunks } = replay([
      start,
      eventMessage("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "Think." } } }),
      eventMessage("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "c2ln" } } }),
      eventMessage("contentBlockDelta", { contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: "AAAA" } } }),
      eventMessage("contentBlockDelta", { contentBlockIndex: 2, delta: { text: "Done." } }),
      stop("end_turn"),
      eventMessage("metadata", { usage: { inputTokens: 10, outputTokens: 7, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 } }),
    ]);
    const got = accumulateEvents(chunks.flatMap((c) => c.events));
    expect(got.choices[0]).toMatchObject({ text: "Done.", reasoning: "Think." });
    // Cache reads and writes are part of canonical input.
    expect(got.usage).toEqual({ inputTokens: 130, outputTokens: 7, cachedInputTokens: 100, cacheWriteTokens: 20, reasoningTokens: 0, source: "reported" });
  });

  it.each([
    ["guardrail_intervened", "content_filter"],
    ["content_filtered", "content_filter"],
    ["max_tokens", "length"],
    ["stop_sequence", "stop"],
    ["model_context_window_exceeded", "length"],
  ])("stop reason %s is %s", (wire, canonical) => {
    const { chunks } = replay([start, eventMessage("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } }), stop(wire)]);
    expect(accumulateEvents(chunks.flatMap((c) => c.events)).canonicalFinish.get(0)).toBe(canonical);
  });

  it("an exception inside the stream fails it after the frames before it; transient ones are retryable", () => {
    const { chunks, failure } = replay([
      start,
      eventMessage("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hal" } }),
      exceptionMessage("modelStreamErrorException", "The model stopped."),
    ]);
    expect(chunks.flatMap((c) => c.events).some((e) => e.type === "text-delta")).toBe(true);
    expect(failure).toBeInstanceOf(BedrockStreamError);
    expect(failure).toMatchObject({ retryable: true, message: expect.stringContaining("The model stopped.") });
    expect(replay([exceptionMessage("validationException", "bad")]).failure).toMatchObject({ retryable: false });
    expect(replay([exceptionMessage("throttlingException", "slow down")]).failure).toMatchObject({ retryable: true, status: 429 });
  });

  it("a corrupt message (bad checksum) or a body cut inside a message is a protocol failure; a stream without messageStop was cut", () => {
    const good = eventMessage("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } });
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 6]! ^= 0xff;
    expect(replay([start, corrupt]).failure).toBeInstanceOf(UpstreamProtocolError);
    // In one read with good messages before it: those still come out, then the failure.
    const together = replay([Buffer.concat([start, good, corrupt])]);
    expect(together.chunks.flatMap((c) => c.events).filter((e) => e.type === "text-delta")).toHaveLength(1);
    expect(together.failure).toBeInstanceOf(UpstreamProtocolError);
    expect(replay([start, good.subarray(0, 20)]).failure).toBeInstanceOf(UpstreamProtocolError);
    expect(replay([start, good]).failure).toMatchObject({ code: "upstream_connection_error" });
  });
});
