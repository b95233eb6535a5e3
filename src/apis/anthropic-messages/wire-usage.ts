import type { Usage } from "../../spec/usage.js";

/**
 * Canonical usage in Anthropic's shape: its input_tokens excludes the tokens read from
 * and written to the prompt cache, which have their own fields.
 */
export function toAnthropicUsage(usage: Usage) {
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens),
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
  };
}
