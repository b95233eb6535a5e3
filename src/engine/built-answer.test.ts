import { describe, expect, it } from "vitest";
import { accumulateEvents } from "../../test/support/canonical-events.js";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import type { InboundCodec } from "../apis/inbound-codec.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { openaiResponsesCodec } from "../apis/openai-responses/codec.js";
import { createAnthropicAdapter } from "../providers/anthropic/adapter.js";
import { createOpenAIChatAdapter } from "../providers/openai/adapter.js";
import { createOpenAIResponsesAdapter } from "../providers/openai/responses-adapter.js";
import type { ProviderAdapter } from "../providers/provider.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { StreamEvent, UpstreamChunk } from "../spec/stream-events.js";
import { builtAnswer } from "./built-answer.js";
import { FrameReader } from "./frame-reader.js";

const usage = { inputTokens: 12, outputTokens: 30, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 4, source: "reported" as const };
const answer: CanonicalResponse = {
  id: "built_1",
  model: "m",
  created: 1_700_000_000,
  choices: [
    { index: 0, text: "Order 42 ships — tomorrow 🚚", reasoning: "look it up", toolCalls: [{ id: "call_1", name: "get_order_status", arguments: '{"order_id":"42"}' }], finishReason: "tool_calls" },
  ],
  usage,
};

const formats: Array<{ codec: InboundCodec; body: Record<string, unknown>; parser: ProviderAdapter }> = [
  {
    codec: openaiChatCodec,
    body: { model: "r", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] },
    parser: createOpenAIChatAdapter({ baseURL: "http://x/v1", headers: {}, streamUsageOption: true }),
  },
  { codec: openaiResponsesCodec, body: { model: "r", stream: true, input: "hi" }, parser: createOpenAIResponsesAdapter({ baseURL: "http://x/v1", headers: {} }) },
  {
    codec: anthropicMessagesCodec,
    body: { model: "r", stream: true, max_tokens: 100, messages: [{ role: "user", content: "hi" }] },
    parser: createAnthropicAdapter({ baseURL: "http://x/v1", version: "2023-06-01", headers: {}, defaultMaxTokens: 1 }),
  },
];

describe("an answer the gateway built", () => {
  for (const { codec, body, parser } of formats) {
    it(`streams in ${codec.api} with its text, reasoning, tool call and usage`, async () => {
      const request = codec.parseRequest(body);
      const opened = builtAnswer(request, answer, new AbortController().signal);
      if (opened.kind !== "stream") throw new Error("expected a stream");
      const encoder = codec.streamEncoder(request, opened);
      let wire = "";
      await opened.stream.pipe({ chunks: (chunks: readonly UpstreamChunk[]) => void (wire += chunks.map((c) => encoder.chunk(c)).join("")) });
      wire += encoder.end();
      expect(opened.stream.outcome).toBe("complete");

      const reader = new FrameReader(parser);
      const events: StreamEvent[] = [...reader.push(Buffer.from(wire)).chunks, ...reader.finish().chunks].flatMap((c) => c.events);
      expect(reader.failure).toBeUndefined();
      const got = accumulateEvents(events);
      expect(got.choices[0]!.text).toBe(answer.choices[0]!.text);
      expect(got.choices[0]!.toolCalls).toEqual([{ id: "call_1", name: "get_order_status", arguments: '{"order_id":"42"}' }]);
      expect(got.usage?.inputTokens).toBe(12);
      expect(got.usage?.outputTokens).toBe(30);
    });

    it(`answers ${codec.api} as one JSON body when not streaming`, () => {
      const request = codec.parseRequest({ ...body, stream: false });
      const opened = builtAnswer(request, answer, new AbortController().signal);
      if (opened.kind !== "response") throw new Error("expected a response");
      const parsed = parser.parseResponse(JSON.parse(codec.responseBody(request, opened).toString()));
      expect(parsed.choices[0]!.text).toBe(answer.choices[0]!.text);
      expect(parsed.choices[0]!.toolCalls).toEqual(answer.choices[0]!.toolCalls);
      expect(parsed.usage?.outputTokens).toBe(30);
    });
  }

  it("never ends cleanly for a client that left", async () => {
    const controller = new AbortController();
    const request = openaiChatCodec.parseRequest(formats[0]!.body);
    const opened = builtAnswer(request, answer, controller.signal);
    if (opened.kind !== "stream") throw new Error("expected a stream");
    controller.abort(new Error("client gone"));
    await expect(opened.stream.pipe({ chunks: () => undefined })).rejects.toThrow("client gone");
    expect(opened.stream.outcome).toBe("failed");
  });
});
