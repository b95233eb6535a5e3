import type { Usage } from "../../spec/usage.js";

const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Converse's usage (`usage` of a body, of a stream's metadata event) in canonical form.
 * Bedrock's `inputTokens` excludes the tokens read from and written to the prompt cache
 * (`cacheReadInputTokens`, `cacheWriteInputTokens`); canonical input includes both.
 */
export function normalizeConverseUsage(wire: unknown): Usage | undefined {
  if (wire === null || typeof wire !== "object") return undefined;
  const u = wire as Record<string, unknown>;
  const cacheRead = count(u.cacheReadInputTokens ?? u.cacheReadInputTokenCount);
  const cacheWrite = count(u.cacheWriteInputTokens ?? u.cacheWriteInputTokenCount);
  return {
    inputTokens: count(u.inputTokens) + cacheRead + cacheWrite,
    outputTokens: count(u.outputTokens),
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    // Converse reports no separate reasoning count: reasoning is inside outputTokens.
    reasoningTokens: 0,
    source: "reported",
  };
}
