import type { ToolCall } from "../../spec/canonical-request.js";
import type { FinishReason } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { toolInputOf } from "../anthropic-messages/encode-response.js";

/** A canonical finish reason as Gemini's finishReason (Gemini says STOP after function calls too). */
export function toGeminiFinishReason(reason: FinishReason | undefined): string {
  switch (reason) {
    case "length":
      return "MAX_TOKENS";
    case "content_filter":
      return "SAFETY";
    case "error":
    case "other":
      return "OTHER";
    default:
      return "STOP";
  }
}

/** Canonical usage as usageMetadata: thoughts are reported beside the candidates' tokens, the cached ones inside the prompt's. */
export function toGeminiUsage(usage: Usage): Record<string, number> {
  const out: Record<string, number> = {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: Math.max(0, usage.outputTokens - usage.reasoningTokens),
    totalTokenCount: usage.inputTokens + usage.outputTokens,
  };
  if (usage.reasoningTokens > 0) out.thoughtsTokenCount = usage.reasoningTokens;
  if (usage.cachedInputTokens > 0) out.cachedContentTokenCount = usage.cachedInputTokens;
  return out;
}

/** A tool call as a functionCall part; its id goes along so that the client's functionResponse can name it. */
export function functionCallPart(call: ToolCall): Record<string, unknown> {
  return { functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: toolInputOf(call.arguments) } };
}
