import { countEmbeddingTokens } from "../usage/embedding-tokens.js";
import { countMessageTokens } from "../usage/tokenizer.js";
import type { ParsedContext } from "./context.js";

const counted = new WeakMap<ParsedContext, number>();

/** The prompt's tokens (an embeddings request: its inputs'), counted once per request for every stage that needs them (limits, budgets). */
export function promptTokens(ctx: ParsedContext): number {
  let n = counted.get(ctx);
  if (n === undefined) {
    const { request } = ctx;
    n = request.embedding ? countEmbeddingTokens(request.embedding.input) : countMessageTokens(request.messages);
    counted.set(ctx, n);
  }
  return n;
}
