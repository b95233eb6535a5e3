import type { Usage } from "../../spec/usage.js";

interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  /** DeepSeek reports its cache this way. */
  prompt_cache_hit_tokens?: number;
}

export function normalizeOpenAIUsage(wire: unknown): Usage | undefined {
  if (wire === null || typeof wire !== "object") return undefined;
  const u = wire as OpenAIUsageWire;
  const input = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  const reasoning = u.completion_tokens_details?.reasoning_tokens ?? 0;
  // OpenAI counts reasoning inside completion_tokens; xAI reports it beside them (its
  // total_tokens = prompt + completion + reasoning). Both bill reasoning as output.
  const reasoningOutside = reasoning > 0 && u.total_tokens === input + completion + reasoning;
  return {
    inputTokens: input,
    outputTokens: reasoningOutside ? completion + reasoning : completion,
    cachedInputTokens: u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: reasoning,
    source: "reported",
  };
}
