import { describe, expect, it } from "vitest";
import { accumulateEvents } from "../../../test/support/canonical-events.js";
import { CHAT_FORMAT_FOLDERS, expectedFromChatChunks, listFixtures, loadChunks } from "../../../test/support/fixtures.js";
import { collect, expectVerbatim, itReplays, type Replay, readFrames, relayUnread, replay, tapped } from "../../../test/support/replay.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import { createOpenAIChatAdapter } from "./adapter.js";
import { DONE, parseChatChunk } from "./chat-stream.js";

const adapter = createOpenAIChatAdapter({ baseURL: "http://127.0.0.1:1/v1", headers: {}, streamUsageOption: true });

const RECORDINGS = CHAT_FORMAT_FOLDERS.flatMap((folder) => listFixtures(folder, ".chunks.txt"));

/** Everything a replay of `payloads` must satisfy, whatever the byte splits. */
function checkReplay(payloads: string[], { messages, results }: Replay, context: string): void {
  const expected = expectedFromChatChunks(payloads);
  // The decoder hands over every payload byte for byte (the pass-through relay forwards them), then [DONE].
  expect(
    messages.map((m) => m.data),
    context,
  ).toEqual([...payloads, DONE]);
  expect(
    messages.every((m) => m.event === undefined && m.id === undefined),
    context,
  ).toBe(true);
  expect(results.at(-1), `${context}: [DONE] ends the stream`).toBeNull();
  const parsed = expectVerbatim(results.slice(0, -1), payloads, `${context}: only [DONE] is null`);
  expect(
    parsed.map((c) => c.usageOnly === true),
    `${context}: usageOnly`,
  ).toEqual(expected.usageOnly);

  const events = parsed.flatMap((c) => c.events);
  const got = accumulateEvents(events);
  expect(got.starts, `${context}: one response-start`).toHaveLength(1);
  expect(events[0]?.type, `${context}: response-start comes first`).toBe("response-start");
  expect(got.choices, `${context}: choices`).toEqual(expected.choices);
  expect(got.usage, `${context}: usage`).toEqual(expected.usage);
  for (const choice of expected.choices) {
    // The recordings only use finish reasons that are canonical as they are.
    if (choice.finishReason !== null) expect(got.canonicalFinish.get(choice.index), context).toBe(choice.finishReason);
  }
}

describe("OpenAI chat stream: recorded transcripts", () => {
  it("finds every Chat Completions recording", () => {
    expect(RECORDINGS).toEqual(
      expect.arrayContaining([
        "openai-chat/openai-text.chunks.txt",
        "openai-chat/azure-model-router.1.chunks.txt",
        "openai-compatible/xai-text.chunks.txt",
        "openai-compatible/xai-tool-call.chunks.txt",
        "deepseek/deepseek-reasoning.chunks.txt",
        "deepseek/deepseek-text.chunks.txt",
        "deepseek/deepseek-tool-call.chunks.txt",
        "mistral/mistral-text.chunks.txt",
        "mistral/mistral-tool-call.chunks.txt",
      ]),
    );
  });

  describe.each(RECORDINGS)("%s", (recording) => {
    const payloads = loadChunks(recording);
    itReplays(recording, payloads, (pieces, context) => checkReplay(payloads, replay(adapter, pieces), context), { everyByte: true });
  });
});

describe("OpenAI chat stream: relayed as the bytes came (same format, usage asked for)", () => {
  describe.each(RECORDINGS)("%s", (recording) => {
    const payloads = loadChunks(recording);
    itReplays(
      recording,
      payloads,
      (pieces, context) => {
        const wire = Buffer.concat(pieces);
        const got = relayUnread(adapter, pieces);
        expect(got.failure, context).toBeUndefined();
        // Every frame byte for byte, however the reads cut them; [DONE] is the encoder's to write.
        expect(got.bytes.equals(wire.subarray(0, wire.lastIndexOf("data: [DONE]"))), context).toBe(true);
        expect(got.usage, `${context}: usage`).toEqual(expectedFromChatChunks(payloads).usage);
        // The text read back from the bytes is the text of the same bytes parsed frame by frame.
        expect(got.text, context).toBe(tapped(readFrames(adapter, pieces).chunks).text);
        expect(got.unread, `${context}: content frames go unparsed`).toBeGreaterThan(0);
      },
      { everyByte: true },
    );
  });
});

/** The provider's own figures, spelled out, in case the expected-value helper and the parser agree on a mistake. */
describe("OpenAI chat stream: figures from the recordings", () => {
  const run = (recording: string) => collect(adapter, recording);

  it("OpenAI text: usage with cached and reasoning details", () => {
    const got = run("openai-chat/openai-text.chunks.txt");
    expect(got.usage).toEqual({ inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
    expect(got.choices[0]?.finishReason).toBe("stop");
    expect(got.choices[0]?.text.startsWith("**Holiday")).toBe(true);
  });

  it("Azure model router: an empty-choices prompt-filter chunk first, reasoning tokens in usage", () => {
    const got = run("openai-chat/azure-model-router.1.chunks.txt");
    expect(got.usage).toMatchObject({ inputTokens: 15, outputTokens: 78, reasoningTokens: 64 });
    expect(got.choices).toHaveLength(1);
  });

  it("xAI: reasoning_content and cached tokens", () => {
    const got = run("openai-compatible/xai-text.chunks.txt");
    // xAI reports reasoning beside completion_tokens (total = 12 + 2 + 340): output is both.
    expect(got.usage).toMatchObject({ inputTokens: 12, outputTokens: 342, cachedInputTokens: 11, reasoningTokens: 340 });
    expect(got.choices[0]?.reasoning.startsWith("First, the user said")).toBe(true);
    expect(got.choices[0]?.text).not.toBe("");
  });

  it("xAI: a tool call delivered in one delta", () => {
    const got = run("openai-compatible/xai-tool-call.chunks.txt");
    expect(got.choices[0]?.toolCalls).toEqual([{ id: "call_79382389", name: "weather", arguments: '{"location":"San Francisco"}' }]);
    expect(got.choices[0]?.finishReason).toBe("tool_calls");
    expect(got.usage).toMatchObject({ inputTokens: 307, outputTokens: 253, cachedInputTokens: 306, reasoningTokens: 227 });
  });

  it("DeepSeek: tool-call arguments streamed in pieces, usage on the finish chunk", () => {
    const got = run("deepseek/deepseek-tool-call.chunks.txt");
    const calls = got.choices[0]?.toolCalls ?? [];
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe("weather");
    expect(calls[0]?.id).not.toBe("");
    expect(JSON.parse(calls[0]?.arguments ?? "")).toEqual({ location: "San Francisco" });
    expect(got.choices[0]?.reasoning).not.toBe("");
    expect(got.usage).toEqual({ inputTokens: 339, outputTokens: 83, cachedInputTokens: 320, cacheWriteTokens: 0, reasoningTokens: 39, source: "reported" });
  });

  it("DeepSeek: length finish", () => {
    const got = run("deepseek/deepseek-text.chunks.txt");
    expect(got.choices[0]?.finishReason).toBe("length");
    expect(got.usage).toMatchObject({ inputTokens: 13, outputTokens: 400 });
  });

  it("Mistral: tool call without an index, usage without details", () => {
    const got = run("mistral/mistral-tool-call.chunks.txt");
    expect(got.choices[0]?.toolCalls).toEqual([{ id: "gSIMJiOkT", name: "weather", arguments: '{"location": "San Francisco"}' }]);
    expect(got.usage).toEqual({ inputTokens: 124, outputTokens: 22, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
  });

  it("Mistral: text", () => {
    const got = run("mistral/mistral-text.chunks.txt");
    expect(got.choices[0]?.text).toBe("Hello, world! This is a test response.");
    expect(got.usage).toMatchObject({ inputTokens: 13, outputTokens: 8 });
  });
});

describe("parseChatChunk", () => {
  const chunk = (body: unknown) => JSON.stringify(body);

  it("emits response-start only for the first chunk", () => {
    const raw = chunk({ id: "c1", model: "m", created: 5, choices: [{ index: 0, delta: { content: "hi" } }] });
    expect(parseChatChunk(raw, true).events).toEqual([
      { type: "response-start", id: "c1", model: "m", created: 5 },
      { type: "text-delta", choice: 0, text: "hi" },
    ]);
    expect(parseChatChunk(raw, false).events).toEqual([{ type: "text-delta", choice: 0, text: "hi" }]);
  });

  it("keeps the payload verbatim in raw", () => {
    const raw = '{ "choices" : [ ],  "x": "\\u00e9" }';
    expect(parseChatChunk(raw, false).raw).toBe(raw);
  });

  it("reads reasoning from reasoning_content or reasoning", () => {
    expect(parseChatChunk(chunk({ choices: [{ index: 0, delta: { reasoning: "think" } }] }), false).events).toEqual([{ type: "reasoning-delta", choice: 0, text: "think" }]);
    expect(parseChatChunk(chunk({ choices: [{ index: 0, delta: { reasoning_content: "deep", content: null } }] }), false).events).toEqual([{ type: "reasoning-delta", choice: 0, text: "deep" }]);
  });

  it("numbers tool calls by index, or by position when the index is missing", () => {
    const events = parseChatChunk(
      chunk({
        choices: [
          {
            index: 2,
            delta: {
              tool_calls: [
                { id: "a", function: { name: "f", arguments: "{" } },
                { index: 5, function: { arguments: "}" } },
              ],
            },
          },
        ],
      }),
      false,
    ).events;
    expect(events).toEqual([
      { type: "tool-call-delta", choice: 2, index: 0, id: "a", name: "f", argumentsDelta: "{" },
      { type: "tool-call-delta", choice: 2, index: 5, argumentsDelta: "}" },
    ]);
  });

  it("maps finish reasons and keeps the raw one", () => {
    const finish = (reason: string) => parseChatChunk(chunk({ choices: [{ index: 0, delta: {}, finish_reason: reason }] }), false).events;
    expect(finish("stop")).toEqual([{ type: "finish", choice: 0, reason: "stop", raw: "stop" }]);
    expect(finish("function_call")).toEqual([{ type: "finish", choice: 0, reason: "tool_calls", raw: "function_call" }]);
    expect(finish("insufficient_system_resource")).toEqual([{ type: "finish", choice: 0, reason: "other", raw: "insufficient_system_resource" }]);
  });

  it("handles several choices in one chunk", () => {
    const events = parseChatChunk(
      chunk({
        choices: [
          { index: 0, delta: { content: "a" } },
          { index: 1, delta: { content: "b" }, finish_reason: "length" },
        ],
      }),
      false,
    ).events;
    expect(events).toEqual([
      { type: "text-delta", choice: 0, text: "a" },
      { type: "text-delta", choice: 1, text: "b" },
      { type: "finish", choice: 1, reason: "length", raw: "length" },
    ]);
  });

  it("marks a usage-only chunk, and not a chunk with both", () => {
    const usage = { prompt_tokens: 3, completion_tokens: 4 };
    expect(parseChatChunk(chunk({ choices: [], usage }), false).usageOnly).toBe(true);
    expect(parseChatChunk(chunk({ usage }), false).usageOnly).toBe(true);
    expect(parseChatChunk(chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage }), false).usageOnly).toBe(false);
    expect(parseChatChunk(chunk({ choices: [], usage: null }), false)).toEqual({ raw: chunk({ choices: [], usage: null }), events: [], usageOnly: false });
  });

  it("normalizes DeepSeek's cache figure when prompt_tokens_details is absent", () => {
    const events = parseChatChunk(chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, prompt_cache_hit_tokens: 7 } }), false).events;
    expect(events).toEqual([{ type: "usage", usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 7, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" } }]);
  });

  it("rejects what is not a chunk object", () => {
    expect(() => parseChatChunk("not json", true)).toThrow(UpstreamProtocolError);
    expect(() => parseChatChunk("[1,2]", true)).toThrow(UpstreamProtocolError);
    expect(() => parseChatChunk("null", true)).toThrow(UpstreamProtocolError);
    expect(() => parseChatChunk('"text"', true)).toThrow(UpstreamProtocolError);
  });

  it("turns an error object mid-stream into a protocol error", () => {
    expect(() => parseChatChunk(chunk({ error: { message: "overloaded" } }), false)).toThrow(/overloaded/);
  });
});

describe("createOpenAIChatAdapter().parseStreamMessage", () => {
  it("returns null for [DONE] only", () => {
    expect(adapter.parseStreamMessage({ data: "[DONE]" }, false)).toBeNull();
    expect(adapter.parseStreamMessage({ data: "[DONE]" }, true)).toBeNull();
    expect(adapter.parseStreamMessage({ data: '{"choices":[]}' }, false)).not.toBeNull();
  });
});
