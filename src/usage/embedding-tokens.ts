import type { EmbeddingInput } from "../spec/embedding.js";
import type { Usage } from "../spec/usage.js";
import { countTextTokens } from "./tokenizer.js";

/** Tokens of an embeddings input: texts counted with the tokenizer, token arrays by their length (exact). */
export function countEmbeddingTokens(input: EmbeddingInput["input"]): number {
  let total = 0;
  for (const item of input) total += typeof item === "string" ? countTextTokens(item) : item.length;
  return total;
}

/** The usage of an embeddings call whose provider reported none (Gemini): its input counted, marked estimated. */
export function estimatedEmbeddingUsage(input: EmbeddingInput["input"]): Usage {
  return { inputTokens: countEmbeddingTokens(input), outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" };
}
