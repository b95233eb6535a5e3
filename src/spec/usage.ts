/** Token usage of one upstream call, in the shape every provider is normalised to. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (a subset of inputTokens). */
  cachedInputTokens: number;
  /** Input tokens written to the provider's prompt cache (a subset of inputTokens). */
  cacheWriteTokens: number;
  /** Reasoning tokens (a subset of outputTokens). */
  reasoningTokens: number;
  /** "reported" when the provider sent the figures; "estimated" when Tollgate counted them. */
  source: "reported" | "estimated";
}

/** The usage of two calls together; estimated if either was. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    source: a.source === "estimated" || b.source === "estimated" ? "estimated" : "reported",
  };
}
