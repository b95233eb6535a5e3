import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import type { StreamParser } from "../provider.js";
import { StreamedCall } from "./partial-args.js";
import { mapGeminiFinishReason } from "./finish-reason.js";
import { normalizeGeminiUsage } from "./usage.js";
import { fallbackResponseId, isObject, toolCallId, type GeminiResponse } from "./wire.js";

/** Parses one `data:` payload of streamGenerateContent?alt=sse as a JSON response object. */
export function parseGeminiPayload(raw: string): GeminiResponse {
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
 * across frames: each candidate's tool calls are numbered in order (Gemini sends each
 * call whole, in one part, unless it streams the arguments: StreamedCall assembles
 * those), and a candidate that called a tool and then says STOP finished with
 * tool_calls. Gemini has no end marker: `hasEndMarker` is false.
 */
export function createGeminiStreamParser(): StreamParser {
  const calls = new Map<number, number>();
  const streamed = new Map<number, StreamedCall>();
  let responseId: string | undefined;

  const emitCall = (events: StreamEvent[], choice: number, call: { id?: string | undefined; name?: string | undefined; args?: unknown }) => {
    const index = calls.get(choice) ?? 0;
    calls.set(choice, index + 1);
    events.push({
      type: "tool-call-delta",
      choice,
      index,
      id: typeof call.id === "string" && call.id !== "" ? call.id : toolCallId(responseId!, choice, index),
      name: call.name ?? "",
      argumentsDelta: JSON.stringify(call.args ?? {}),
    });
  };
  /** A call whose arguments were streamed, sent whole once they are complete (or the candidate finished without saying so). */
  const closeStreamed = (events: StreamEvent[], choice: number) => {
    const open = streamed.get(choice);
    if (!open) return;
    streamed.delete(choice);
    emitCall(events, choice, { name: open.name, args: open.args });
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
          if (isObject(part.functionCall)) {
            const call = part.functionCall;
            const open = streamed.get(choice);
            if (open) {
              open.apply(Array.isArray(call.partialArgs) ? call.partialArgs : []);
              if (call.willContinue !== true) closeStreamed(events, choice);
            } else if (call.willContinue === true && call.name) {
              const started = new StreamedCall(call.name);
              started.apply(Array.isArray(call.partialArgs) ? call.partialArgs : []);
              streamed.set(choice, started);
            } else {
              emitCall(events, choice, call);
            }
          } else if (typeof part.text === "string" && part.text !== "") {
            events.push({ type: part.thought === true ? "reasoning-delta" : "text-delta", choice, text: part.text });
          }
        }
        if (candidate.finishReason) closeStreamed(events, choice);
        if (candidate.finishReason) events.push({ type: "finish", choice, reason: mapGeminiFinishReason(candidate.finishReason, calls.has(choice)), raw: candidate.finishReason });
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
