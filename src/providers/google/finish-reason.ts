import type { FinishReason } from "../../spec/stream-events.js";

/** Reasons that mean a safety or policy filter stopped the answer. */
const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"]);

/**
 * Gemini's finishReason in canonical form. Gemini says STOP after function calls too, so
 * a candidate that called a tool finished with tool_calls.
 */
export function mapGeminiFinishReason(reason: string, calledTools: boolean): FinishReason {
  if (reason === "STOP") return calledTools ? "tool_calls" : "stop";
  if (reason === "MAX_TOKENS") return "length";
  if (FILTERED.has(reason)) return "content_filter";
  return "other";
}
