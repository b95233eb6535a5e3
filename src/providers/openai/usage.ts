import type { Usage } from "../../spec/usage.js";

interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  /** DeepSeek reports its cache this way. */
  prompt_cache_hit_tokens?: number;
}

export function normalizeOpenAIUsage(wire: unknown): Usage | undefined {
  if (wire === null || typeof wire !== "object") return undefined;
  const u = wire as OpenAIUsageWire;
  return {
    inputTokens: u.prompt_tokens ?? 0,
    outputTokens: u.completion_tokens ?? 0,
    cachedInputTokens: u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
    source: "reported",
  };
}
