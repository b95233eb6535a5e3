import type { Usage } from "../../spec/usage.js";

/** Anthropic's usage object (message_start's `message.usage`, message_delta's `usage`, a body's `usage`). */
interface AnthropicUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** Anthropic's figures as it counts them: `input` excludes both cache figures. */
export interface AnthropicUsageFigures {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  thinking: number;
}

function count(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Reads a usage object over earlier figures: each counter the provider sent replaces the
 * earlier one (message_delta's counters are cumulative totals, omitted when unchanged).
 */
export function mergeAnthropicUsage(base: AnthropicUsageFigures | undefined, wire: unknown): AnthropicUsageFigures | undefined {
  if (wire === null || typeof wire !== "object") return base;
  const u = wire as AnthropicUsageWire;
  const prev = base ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, thinking: 0 };
  return {
    input: count(u.input_tokens) ?? prev.input,
    cacheRead: count(u.cache_read_input_tokens) ?? prev.cacheRead,
    cacheWrite: count(u.cache_creation_input_tokens) ?? prev.cacheWrite,
    output: count(u.output_tokens) ?? prev.output,
    thinking: count(u.output_tokens_details?.thinking_tokens) ?? prev.thinking,
  };
}

/**
 * Canonical usage: Anthropic's `input_tokens` excludes the tokens read from and written to
 * the prompt cache, canonical `inputTokens` includes them (both are subsets of it).
 */
export function toCanonicalUsage(f: AnthropicUsageFigures): Usage {
  return {
    inputTokens: f.input + f.cacheRead + f.cacheWrite,
    outputTokens: f.output,
    cachedInputTokens: f.cacheRead,
    cacheWriteTokens: f.cacheWrite,
    reasoningTokens: Math.min(f.thinking, f.output),
    source: "reported",
  };
}

/** A body's usage object in canonical form; undefined when there is none. */
export function normalizeAnthropicUsage(wire: unknown): Usage | undefined {
  const figures = mergeAnthropicUsage(undefined, wire);
  return figures ? toCanonicalUsage(figures) : undefined;
}
