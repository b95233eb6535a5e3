import type { ResolvedConfig } from "../config/resolve.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { mayWriteCache } from "../usage/cache-writes.js";
import { billingTarget, inputTokenBound } from "../usage/input-bound.js";

export interface Costing {
  prices: PriceTable;
  providers: ResolvedConfig["providers"];
  /** When the call is priced (epoch ms). */
  at: number;
  /** Output reserved for a model whose maximum the price table does not know, when the request sets no max_tokens. */
  defaultMaxOutputTokens: number;
}

/**
 * The most one call can cost (nano-dollars) and use (tokens), at the priciest of `targets`
 * (a fallback may land on any): input bounded by each target's own formula (text, tools,
 * schema, images, audio, documents), output up to its limit (reasoning included), input
 * priced as cache writes where those cost more and the request asks for caching.
 * docs/accounting.md#worst-case.
 */
export function worstCase(costing: Costing, request: CanonicalRequest, targets: readonly { provider: string; model: string }[]): { usdNanos: number; tokens: number } {
  const { prices, providers, at } = costing;
  const writesCache = mayWriteCache(request);
  let usdNanos = 0;
  let tokens = 0;
  for (const target of targets) {
    const inputTokens = inputTokenBound(request, billingTarget(providers[target.provider]?.type ?? "", target.model));
    // Embeddings produce no output: only their input is reserved.
    const outputTokens = request.embedding ? 0 : outputBound(costing, request, target) * (request.n ?? 1);
    const price = prices.lookup(target.model, at);
    const cacheWriteTokens = writesCache && price && price.cacheWrite > price.input ? inputTokens : 0;
    usdNanos = Math.max(usdNanos, prices.cost(target.model, { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens }, at));
    tokens = Math.max(tokens, inputTokens + outputTokens);
  }
  return { usdNanos, tokens };
}

/** The most output a call may produce: max_tokens, else what the adapter sends (Anthropic's default), else the model's maximum. */
function outputBound(costing: Costing, request: CanonicalRequest, target: { provider: string; model: string }): number {
  if (request.maxOutputTokens !== undefined) return request.maxOutputTokens;
  const provider = costing.providers[target.provider];
  if (provider?.type === "anthropic") return provider.defaultMaxTokens;
  return costing.prices.lookup(target.model, costing.at)?.maxOutput ?? costing.defaultMaxOutputTokens;
}
