import { describe, expect, it } from "vitest";
import { accumulateEvents } from "../../../test/support/canonical-events.js";
import { listFixtures, loadChunks } from "../../../test/support/fixtures.js";
import { expectedFromGemini } from "../../../test/support/gemini-fixtures.js";
import { itReplays, recordedBytes, replay as replayThrough } from "../../../test/support/replay.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import { createGoogleAdapter } from "./adapter.js";
import { signatureFromId } from "./thought-signature.js";

const adapter = createGoogleAdapter({ baseURL: "http://127.0.0.1:1/v1beta", apiKey: "AIza-test", headers: {} });
const RECORDINGS = listFixtures("google", ".chunks.txt");

function replay(pieces: readonly Uint8Array[]): { messages: SseMessage[]; chunks: UpstreamChunk[] } {
  const { messages, results } = replayThrough(adapter, pieces);
  expect(
    results.every((c) => c !== null),
    "Gemini has no end marker: no message is null",
  ).toBe(true);
  return { messages, chunks: results as UpstreamChunk[] };
}

/** Gemini's reason in canonical form, by the rule stated independently of the adapter. */
function canonicalReason(raw: string, hadCalls: boolean): string {
  if (raw === "STOP") return hadCalls ? "tool_calls" : "stop";
  if (raw === "MAX_TOKENS") return "length";
  if (["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT"].includes(raw)) return "content_filter";
  return "other";
}

function check(payloads: string[], { messages, chunks }: { messages: SseMessage[]; chunks: UpstreamChunk[] }, context: string): void {
  const expected = expectedFromGemini(payloads.map((p) => JSON.parse(p)));
  expect(
    messages.map((m) => m.data),
    context,
  ).toEqual(payloads);
  expect(
    chunks.map((c) => c.raw),
    context,
  ).toEqual(payloads);
  const events = chunks.flatMap((c) => c.events);
  const got = accumulateEvents(events);
  expect(got.starts, context).toEqual([{ type: "response-start", id: expected.responseId, model: expected.modelVersion, created: 0 }]);
  expect(events[0]?.type, context).toBe("response-start");
  expect(
    got.choices.map((c) => ({ index: c.index, text: c.text, reasoning: c.reasoning, calls: c.toolCalls.map((t) => ({ name: t.name, arguments: t.arguments })), finishReason: c.finishReason })),
    context,
  ).toEqual(expected.candidates.map((c) => ({ ...c, calls: c.calls.map(({ name, arguments: args }) => ({ name, arguments: args })) })));
  expect(got.usage, context).toEqual(expected.usage);
  // One event per call, however many parts Gemini streamed it in: clients get each call whole.
  expect(events.filter((e) => e.type === "tool-call-delta").length, context).toBe(expected.candidates.reduce((n, c) => n + c.calls.length, 0));
  for (const c of expected.candidates) {
    if (c.finishReason) expect(got.canonicalFinish.get(c.index), context).toBe(canonicalReason(c.finishReason, c.calls.length > 0));
    // Each call is named call_<hash>; a signed one (Gemini 3) carries its thought signature in the id.
    got.choices
      .find((g) => g.index === c.index)!
      .toolCalls.forEach((call, i) => {
        const signature = c.calls[i]!.thoughtSignature;
        if (signature) {
          expect(call.id, context).toMatch(/^call_[0-9a-f]{24}__ts_[A-Za-z0-9_-]+$/);
          expect(signatureFromId(call.id), context).toBe(signature);
        } else expect(call.id, context).toMatch(/^call_[0-9a-f]{24}$/);
      });
  }
}

describe("Gemini stream: recorded transcripts", () => {
  it("finds the recordings", () => {
    expect(RECORDINGS).toEqual([
      "google/google-reasoning-gemini3.chunks.txt",
      "google/google-reasoning.chunks.txt",
      "google/google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt",
      "google/google-text.chunks.txt",
      "google/google-tool-call-gemini3.chunks.txt",
      "google/google-tool-call.chunks.txt",
      "google/google-vertex-stream-tool-call-arguments-nested.1.chunks.txt",
    ]);
  });

  describe.each(RECORDINGS)("%s", (recording) => {
    const payloads = loadChunks(recording);
    itReplays(recording, payloads, (pieces, context) => check(payloads, replay(pieces), context));
  });

  it("google-text: thoughts billed as output, and a finish of stop", () => {
    const { chunks } = replay([recordedBytes("google/google-text.chunks.txt")]);
    const got = accumulateEvents(chunks.flatMap((c) => c.events));
    // promptTokenCount 9; candidatesTokenCount 23 + thoughtsTokenCount 185.
    expect(got.usage).toEqual({ inputTokens: 9, outputTokens: 208, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 185, source: "reported" });
    expect(got.canonicalFinish.get(0)).toBe("stop");
    expect(got.choices[0]!.text).toBe('There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y');
  });

  it("google-tool-call: a whole call with a stable id, then STOP read as tool_calls", () => {
    const bytes = recordedBytes("google/google-tool-call.chunks.txt");
    const a = accumulateEvents(replay([bytes]).chunks.flatMap((c) => c.events));
    const b = accumulateEvents(replay([bytes]).chunks.flatMap((c) => c.events));
    expect(a.choices[0]!.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: "weather", arguments: '{"location":"San Francisco"}' }]);
    expect(a.choices[0]!.toolCalls[0]!.id).toBe(b.choices[0]!.toolCalls[0]!.id);
    expect(a.choices[0]!.finishReason).toBe("STOP");
    expect(a.canonicalFinish.get(0)).toBe("tool_calls");
  });

  it("numbers calls across frames, per candidate, and keeps Gemini's own ids", () => {
    const parser = adapter.streamParser!();
    const frame = (candidates: unknown[]) => ({ data: JSON.stringify({ candidates, responseId: "r1" }) });
    const events = [
      ...parser.parseStreamMessage(frame([{ index: 0, content: { parts: [{ functionCall: { name: "a", args: {} } }] } }]), true)!.events,
      ...parser.parseStreamMessage(
        frame([
          { index: 0, content: { parts: [{ functionCall: { id: "own", name: "b", args: { x: 1 } } }] } },
          { index: 1, content: { parts: [{ functionCall: { name: "c" } }] } },
        ]),
        false,
      )!.events,
      ...parser.parseStreamMessage(
        frame([
          { index: 0, finishReason: "STOP" },
          { index: 1, finishReason: "MAX_TOKENS" },
        ]),
        false,
      )!.events,
    ];
    const got = accumulateEvents(events);
    expect(got.choices[0]!.toolCalls.map((t) => [t.name, t.arguments])).toEqual([
      ["a", "{}"],
      ["b", '{"x":1}'],
    ]);
    expect(got.choices[0]!.toolCalls[1]!.id).toBe("own");
    expect(got.choices[1]!.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: "c", arguments: "{}" }]);
    expect(new Set([...got.choices[0]!.toolCalls, ...got.choices[1]!.toolCalls].map((t) => t.id)).size).toBe(3);
    expect(got.canonicalFinish).toEqual(
      new Map([
        [0, "tool_calls"],
        [1, "length"],
      ]),
    );
  });

  it("thought parts are reasoning; safety stops are content_filter; a blocked prompt finishes", () => {
    const parser = adapter.streamParser!();
    const events = parser.parseStreamMessage(
      { data: JSON.stringify({ candidates: [{ content: { parts: [{ text: "hmm", thought: true }, { text: "answer" }] }, finishReason: "SAFETY" }] }) },
      true,
    )!.events;
    expect(events.filter((e) => e.type !== "response-start")).toEqual([
      { type: "reasoning-delta", choice: 0, text: "hmm" },
      { type: "text-delta", choice: 0, text: "answer" },
      { type: "finish", choice: 0, reason: "content_filter", raw: "SAFETY" },
    ]);
    const blocked = adapter.streamParser!().parseStreamMessage({ data: JSON.stringify({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 4 } }) }, true)!;
    expect(blocked.events).toContainEqual({ type: "finish", choice: 0, reason: "content_filter", raw: "PROHIBITED_CONTENT" });
  });

  it("rejects frames that are not JSON objects, and reports an error frame", () => {
    const parser = adapter.streamParser!();
    expect(() => parser.parseStreamMessage({ data: "{not json" }, true)).toThrow(UpstreamProtocolError);
    expect(() => parser.parseStreamMessage({ data: "42" }, true)).toThrow(UpstreamProtocolError);
    expect(() => parser.parseStreamMessage({ data: JSON.stringify({ error: { code: 500, message: "Internal error", status: "INTERNAL" } }) }, true)).toThrow(/Internal error/);
  });
});

describe("Gemini stream: function call arguments streamed in pieces (Vertex streamFunctionCallArguments)", () => {
  it("sends each call whole once its arguments are complete, or when its candidate finishes", () => {
    const argsOf = (recording: string) => {
      const events = replay([recordedBytes(recording)]).chunks.flatMap((c) => c.events);
      const calls = events.filter((e) => e.type === "tool-call-delta");
      expect(calls).toHaveLength(1);
      return JSON.parse((calls[0] as { argumentsDelta: string }).argumentsDelta) as Record<string, unknown>;
    };
    const recipe = argsOf("google/google-vertex-stream-tool-call-arguments-nested.1.chunks.txt").recipe as { name: string; steps: string[]; ingredients: { name: string; amount: string }[] };
    expect(recipe.name).toBe("Lasagna");
    expect(recipe.steps[1]).toBe("Cook lasagna noodles according to package directions, drain and set aside.");
    expect(recipe.ingredients).toHaveLength(10);
    expect(recipe.ingredients[0]).toEqual({ amount: "16 oz", name: "Lasagna noodles" });
    expect(argsOf("google/google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt")).toEqual({
      operations: [
        { action: "add", description: "Fresh red apple", itemid: "apple_001", price: 0.5 },
        { action: "add", description: "Ripe yellow banana", itemid: "banana_001", price: 0.3 },
      ],
    });
  });
});
