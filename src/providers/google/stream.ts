import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import type { StreamParser } from "../provider.js";
import { mapGeminiFinishReason } from "./finish-reason.js";
import { StreamedCall } from "./streamed-call.js";
import { idWithSignature } from "./thought-signature.js";
import { normalizeGeminiUsage } from "./usage.js";
import { fallbackResponseId, isObject, toolCallId, type GeminiPart, type GeminiResponse } from "./wire.js";

/** Parses one `data:` payload of streamGenerateContent?alt=sse as a JSON response object. */
function parseGeminiPayload(raw: string): GeminiResponse {
  let chunk: unknown;
  try {
    chunk = JSON.parse(raw);
  } catch {
    throw new UpstreamProtocolError(`Upstream sent a stream chunk that is not JSON: ${raw.slice(0, 120)}`);
  }
  // Some Gemini front ends wrap a response (or an error) in a one-element array.
  if (Array.isArray(chunk) && chunk.length === 1) chunk = chunk[0];
  if (!isObject(chunk)) throw new UpstreamProtocolError("Upstream sent a stream chunk that is not an object.");
  const response = chunk as GeminiResponse;
  if (isObject(response.error)) throw new UpstreamProtocolError(`Upstream reported an error mid-stream: ${response.error.message ?? response.error.status ?? "unknown"}`);
  return response;
}

/**
 * A parser for one Gemini stream. Each frame is a whole GenerateContentResponse with
 * the next piece of every candidate and the usage so far (the last one is final). State
 * across frames: each candidate's tool calls are numbered in order, a call Gemini 3
 * streams in pieces (`willContinue`, `partialArgs`) is assembled and sent as one call when
 * its last piece (or the finish) comes, a call's thought signature rides in its id
 * (thought-signature.ts), and a candidate that called a tool and then says STOP finished
 * with tool_calls. Gemini has no end marker: `hasEndMarker` is false.
 */
export function createGeminiStreamParser(): StreamParser {
  const calls = new Map<number, number>();
  const streaming = new Map<number, { index: number; call: StreamedCall; id: string | undefined }>();
  let responseId: string | undefined;

  const nextIndex = (choice: number): number => {
    const index = calls.get(choice) ?? 0;
    calls.set(choice, index + 1);
    return index;
  };
  const callEvent = (choice: number, index: number, id: string | undefined, name: string, signature: string | undefined, args: string): StreamEvent => ({
    type: "tool-call-delta",
    choice,
    index,
    id: idWithSignature(id !== undefined && id !== "" ? id : toolCallId(responseId!, choice, index), signature),
    name,
    argumentsDelta: args,
  });
  const endStreamed = (choice: number, events: StreamEvent[]): void => {
    const open = streaming.get(choice);
    if (!open) return;
    streaming.delete(choice);
    events.push(callEvent(choice, open.index, open.id, open.call.name, open.call.thoughtSignature, open.call.arguments()));
  };
  const functionCall = (choice: number, part: GeminiPart, events: StreamEvent[]): void => {
    const call = part.functionCall!;
    const named = typeof call.name === "string" && call.name !== "";
    // A named part starts a call: one still open ended without its closing part.
    if (named) endStreamed(choice, events);
    const open = streaming.get(choice);
    if (!open && call.willContinue !== true) {
      events.push(callEvent(choice, nextIndex(choice), call.id, call.name ?? "", part.thoughtSignature, JSON.stringify(call.args ?? {})));
      return;
    }
    const current = open ?? { index: nextIndex(choice), call: new StreamedCall(call.name ?? "", part.thoughtSignature, call.args), id: call.id };
    streaming.set(choice, current);
    current.call.add(call.partialArgs);
    if (call.willContinue !== true) endStreamed(choice, events);
  };

  return {
    parseStreamMessage(message: SseMessage, first: boolean): UpstreamChunk | null {
      const chunk = parseGeminiPayload(message.data);
      responseId ??= chunk.responseId || fallbackResponseId();
      const events: StreamEvent[] = [];
      if (first) events.push({ type: "response-start", id: chunk.responseId ?? "", model: chunk.modelVersion ?? "", created: 0 });
      const candidates = Array.isArray(chunk.candidates) ? chunk.candidates : [];
      candidates.forEach((candidate, position) => {
        const choice = candidate.index ?? position;
        for (const part of candidate.content?.parts ?? []) {
          if (isObject(part.functionCall)) functionCall(choice, part, events);
          else if (typeof part.text === "string" && part.text !== "") {
            events.push({ type: part.thought === true ? "reasoning-delta" : "text-delta", choice, text: part.text });
          }
        }
        if (candidate.finishReason) {
          endStreamed(choice, events);
          events.push({ type: "finish", choice, reason: mapGeminiFinishReason(candidate.finishReason, calls.has(choice)), raw: candidate.finishReason });
        }
      });
      // A blocked prompt gets no candidates at all, only the reason.
      const blocked = chunk.promptFeedback?.blockReason;
      if (blocked && candidates.length === 0) events.push({ type: "finish", choice: 0, reason: "content_filter", raw: blocked });
      const usage = normalizeGeminiUsage(chunk.usageMetadata);
      if (usage) events.push({ type: "usage", usage });
      return { raw: message.data, events, usageOnly: usage !== undefined && candidates.length === 0 && !blocked };
    },
  };
}
