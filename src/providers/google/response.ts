import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import type { CanonicalResponse, ResponseChoice } from "../../spec/canonical-response.js";
import { mapGeminiFinishReason } from "./finish-reason.js";
import { idWithSignature } from "./thought-signature.js";
import { normalizeGeminiUsage } from "./usage.js";
import { fallbackResponseId, isObject, toolCallId, type GeminiResponse } from "./wire.js";

/** Parses a generateContent body: per candidate its text, thought summaries as reasoning, and function calls. */
export function parseGeminiResponse(body: unknown): CanonicalResponse {
  if (Array.isArray(body) && body.length === 1) body = body[0];
  if (!isObject(body)) throw new UpstreamProtocolError("Upstream returned a response that is not an object.");
  const wire = body as GeminiResponse;
  const candidates = Array.isArray(wire.candidates) ? wire.candidates : [];
  const blocked = wire.promptFeedback?.blockReason;
  if (candidates.length === 0 && !blocked) throw new UpstreamProtocolError("Upstream returned a response without candidates.");
  const responseId = wire.responseId || fallbackResponseId();

  const choices: ResponseChoice[] = candidates.map((candidate, position) => {
    const index = candidate.index ?? position;
    let text: string | null = null;
    let reasoning = "";
    const toolCalls: ToolCall[] = [];
    for (const part of candidate.content?.parts ?? []) {
      if (isObject(part.functionCall)) {
        const call = part.functionCall;
        const id = idWithSignature(typeof call.id === "string" && call.id !== "" ? call.id : toolCallId(responseId, index, toolCalls.length), part.thoughtSignature);
        toolCalls.push({ id, name: call.name ?? "", arguments: JSON.stringify(call.args ?? {}) });
      } else if (typeof part.text === "string") {
        if (part.thought === true) reasoning += part.text;
        else if (part.text !== "" || text === null) text = (text ?? "") + part.text;
      }
    }
    if (text === "" && toolCalls.length > 0) text = null;
    const choice: ResponseChoice = { index, text, finishReason: mapGeminiFinishReason(candidate.finishReason ?? "STOP", toolCalls.length > 0) };
    if (reasoning !== "") choice.reasoning = reasoning;
    if (toolCalls.length > 0) choice.toolCalls = toolCalls;
    return choice;
  });
  if (choices.length === 0) choices.push({ index: 0, text: null, finishReason: "content_filter" });

  const response: CanonicalResponse = { id: wire.responseId ?? "", model: wire.modelVersion ?? "", created: 0, choices };
  const usage = normalizeGeminiUsage(wire.usageMetadata);
  if (usage) response.usage = usage;
  return response;
}
