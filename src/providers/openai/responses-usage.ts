import type { Usage } from "../../spec/usage.js";

interface ResponsesUsageWire {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}

/**
 * The Responses API's usage object in canonical form: cached tokens are a subset of
 * input_tokens and reasoning tokens a subset of output_tokens, as OpenAI counts them.
 */
export function normalizeResponsesUsage(wire: unknown): Usage | undefined {
  if (wire === null || typeof wire !== "object" || Array.isArray(wire)) return undefined;
  const u = wire as ResponsesUsageWire;
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cachedInputTokens: u.input_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: u.output_tokens_details?.reasoning_tokens ?? 0,
    source: "reported",
  };
}
