import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator";
import type { Response, ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { CHAT_FORMAT_FOLDERS, expectedFromChatChunks, listFixtures, loadChunks } from "../../../test/support/fixtures.js";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { renderError } from "../../errors/render.js";
import { parseChatChunk } from "../../providers/openai/chat-stream.js";
import { SseDecoder, type SseMessage } from "../../sse/decoder.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import { encodeResponsesBody } from "./encode-response.js";
import { passthroughResponsesEncoder, translatingResponsesEncoder } from "./encode-stream.js";
import { parseResponsesRequest } from "./parse-request.js";

const request: CanonicalRequest = parseResponsesRequest({
  model: "fast",
  input: "hi",
  instructions: "Be brief.",
  stream: true,
  temperature: 0.3,
  tools: [{ type: "function", name: "weather", parameters: { type: "object" } }],
});

function decode(text: string): SseMessage[] {
  const decoder = new SseDecoder();
  return [...decoder.push(Buffer.from(text)), ...decoder.end()];
}

/** The frames through the openai SDK's own accumulator, which throws on any event out of place. */
function accumulate(messages: SseMessage[]): { events: ResponseStreamEvent[]; snapshot: Response } {
  let snapshot: Response | undefined;
  const events: ResponseStreamEvent[] = [];
  for (const m of messages) {
    const event = JSON.parse(m.data) as ResponseStreamEvent;
    expect(m.event).toBe(event.type);
    events.push(event);
    snapshot = accumulateResponse(event, snapshot);
  }
  return { events, snapshot: snapshot! };
}

const chatStreams = CHAT_FORMAT_FOLDERS.flatMap((folder) => listFixtures(folder, ".chunks.txt"));

describe("translating encoder", () => {
  it.each(chatStreams)("%s: a Responses event sequence the SDK accepts, with the answer's text, tool calls and usage", (fixture) => {
    const payloads = loadChunks(fixture);
    const expected = expectedFromChatChunks(payloads);
    const encoder = translatingResponsesEncoder(request);
    let text = "";
    payloads.forEach((p, i) => {
      text += encoder.chunk(parseChatChunk(p, i === 0));
    });
    text += encoder.end();
    const { events, snapshot } = accumulate(decode(text));

    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(["response.created", "response.in_progress"]);
    const choice = expected.choices[0]!;
    const finalType = choice.finishReason === "length" ? "response.incomplete" : "response.completed";
    expect(events.at(-1)!.type).toBe(finalType);
    expect(events.filter((e) => e.type === finalType)).toHaveLength(1);

    const final = (events.at(-1) as { response: Response }).response;
    // The accumulated snapshot and the final response object agree.
    expect(snapshot.output).toEqual(final.output);
    const texts = final.output.flatMap((o) => (o.type === "message" ? o.content.map((c) => (c.type === "output_text" ? c.text : "")) : []));
    expect(texts.join("")).toBe(choice.text);
    const reasoning = final.output.flatMap((o) => (o.type === "reasoning" ? o.summary.map((s) => s.text) : []));
    expect(reasoning.join("")).toBe(choice.reasoning);
    const calls = final.output.flatMap((o) => (o.type === "function_call" ? [{ id: o.call_id, name: o.name, arguments: o.arguments }] : []));
    expect(calls).toEqual(choice.toolCalls);
    if (expected.usage) {
      expect(final.usage).toEqual({
        input_tokens: expected.usage.inputTokens,
        input_tokens_details: { cached_tokens: expected.usage.cachedInputTokens, cache_write_tokens: expected.usage.cacheWriteTokens },
        output_tokens: expected.usage.outputTokens,
        output_tokens_details: { reasoning_tokens: expected.usage.reasoningTokens },
        total_tokens: expected.usage.inputTokens + expected.usage.outputTokens,
      });
    } else expect(final.usage).toBeNull();
    expect(final).toMatchObject({ object: "response", instructions: "Be brief.", temperature: 0.3, store: false, tools: [{ type: "function", name: "weather" }] });
    expect(final.id).toMatch(/^resp_/);
  });

  it("an error after the stream began is an error event with the next sequence number, carrying the error as the SDK reads it", () => {
    const encoder = translatingResponsesEncoder(request);
    const started = encoder.chunk({
      raw: "",
      events: [
        { type: "response-start", id: "x", model: "m", created: 1 },
        { type: "text-delta", choice: 0, text: "Hel" },
      ],
    });
    const error = encoder.error(renderError(new InvalidRequestError("invalid_request", "Something broke.")));
    const messages = decode(started + error);
    const last = messages.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data)).toEqual({
      type: "error",
      code: "invalid_request",
      message: "Something broke.",
      param: null,
      sequence_number: messages.length - 1,
      error: { type: "invalid_request_error", code: "invalid_request", message: "Something broke.", param: null },
    });
    expect(messages.some((m) => m.event === "response.completed")).toBe(false);
  });

  it("a finish for length ends with response.incomplete", () => {
    const encoder = translatingResponsesEncoder(request);
    const text =
      encoder.chunk({
        raw: "",
        events: [
          { type: "text-delta", choice: 0, text: "cut" },
          { type: "finish", choice: 0, reason: "length" },
        ],
      }) + encoder.end();
    const { events } = accumulate(decode(text));
    expect(events.at(-1)).toMatchObject({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } });
  });
});

describe("passthrough encoder", () => {
  it("re-frames each payload under its event name, adds no end, and numbers an error after the relayed events", () => {
    const encoder = passthroughResponsesEncoder();
    const chunks: UpstreamChunk[] = [
      { raw: '{"type":"response.created","sequence_number":0}', event: "response.created", events: [] },
      { raw: '{"type":"response.output_text.delta","sequence_number":1,"delta":"é"}', event: "response.output_text.delta", events: [] },
    ];
    const text = chunks.map((c) => encoder.chunk(c)).join("");
    expect(text).toBe(`event: response.created\ndata: ${chunks[0]!.raw}\n\nevent: response.output_text.delta\ndata: ${chunks[1]!.raw}\n\n`);
    expect(encoder.end()).toBe("");
    const error = JSON.parse(decode(encoder.error(renderError(new InvalidRequestError("unsupported_parameter", "y"))))[0]!.data);
    expect(error).toMatchObject({ type: "error", sequence_number: 2, code: "unsupported_parameter", message: "y", error: { message: "y" } });
  });
});

describe("encodeResponsesBody", () => {
  it("writes reasoning, message and function call items with usage", () => {
    const body = JSON.parse(
      encodeResponsesBody(
        {
          id: "chatcmpl-1",
          model: "grok",
          created: 10,
          choices: [{ index: 0, text: "", reasoning: "Thinking.", toolCalls: [{ id: "call_1", name: "weather", arguments: "{}" }], finishReason: "tool_calls" }],
          usage: { inputTokens: 5, outputTokens: 9, cachedInputTokens: 2, cacheWriteTokens: 0, reasoningTokens: 4, source: "reported" },
        },
        request,
      ),
    ) as Response;
    expect(body).toMatchObject({ id: "resp_chatcmpl-1", object: "response", created_at: 10, model: "grok", status: "completed" });
    expect(body.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    expect(body.output[1]).toMatchObject({ type: "function_call", call_id: "call_1", name: "weather", arguments: "{}", status: "completed" });
    expect(body.usage).toEqual({
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 4 },
      total_tokens: 14,
    });
  });
});
