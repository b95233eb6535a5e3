import type { Usage } from "../../spec/usage.js";

interface GeminiUsageWire {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  /** Tokens of tool results Gemini fetched itself (search, code execution): billed as input. */
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * Gemini's usageMetadata in canonical form: thoughts are billed as output but reported
 * beside candidatesTokenCount, so output = candidates + thoughts and reasoning = thoughts;
 * the cached content is a part of the prompt.
 */
export function normalizeGeminiUsage(wire: unknown): Usage | undefined {
  if (wire === null || typeof wire !== "object") return undefined;
  const u = wire as GeminiUsageWire;
  const thoughts = n(u.thoughtsTokenCount);
  return {
    inputTokens: n(u.promptTokenCount) + n(u.toolUsePromptTokenCount),
    outputTokens: n(u.candidatesTokenCount) + thoughts,
    cachedInputTokens: n(u.cachedContentTokenCount),
    cacheWriteTokens: 0,
    reasoningTokens: thoughts,
    source: "reported",
  };
}
