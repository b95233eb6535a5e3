import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { functionCallPart, toGeminiFinishReason, toGeminiUsage } from "./wire-answer.js";

/** A canonical answer as a GenerateContentResponse: one candidate per choice. */
export function toGenerateContentResponse(response: CanonicalResponse, fallbackModel: string): string {
  const candidates = response.choices.map((choice) => {
    const parts: Record<string, unknown>[] = [];
    if (choice.reasoning) parts.push({ text: choice.reasoning, thought: true });
    if (choice.text) parts.push({ text: choice.text });
    for (const call of choice.toolCalls ?? []) parts.push(functionCallPart(call));
    return { content: { role: "model", parts }, finishReason: toGeminiFinishReason(choice.finishReason), index: choice.index };
  });
  return JSON.stringify({
    candidates,
    ...(response.usage ? { usageMetadata: toGeminiUsage(response.usage) } : {}),
    modelVersion: response.model || fallbackModel,
    responseId: response.id || `tg-${Date.now().toString(36)}`,
  });
}
