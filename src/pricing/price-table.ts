import { readFileSync } from "node:fs";
import type { PriceConfig } from "../config/schema.js";
import type { Usage } from "../spec/usage.js";
import { priceNames } from "./price-names.js";

/** A price in integer micro-dollars per 1M tokens, in force from `from` (epoch ms). */
export interface Price {
  from: number;
  input: number;
  output: number;
  /** Cached-input reads; input price when absent. */
  cachedInput: number;
  /** Cache writes; input price when absent. */
  cacheWrite: number;
  /** The most output tokens one call can produce, when known. */
  maxOutput?: number;
}

/** USD per 1M tokens as written in data/prices.json and config (the config schema's `prices` entries). */
export type PriceInput = PriceConfig;

const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);

function toPrice(p: PriceInput): Price {
  const input = usdToMicros(p.input);
  return {
    from: p.from ? Date.parse(p.from) : 0,
    input,
    output: usdToMicros(p.output),
    cachedInput: p.cachedInput === undefined ? input : usdToMicros(p.cachedInput),
    cacheWrite: p.cacheWrite === undefined ? input : usdToMicros(p.cacheWrite),
    ...(p.maxOutput === undefined ? {} : { maxOutput: p.maxOutput }),
  };
}

/**
 * Model prices with their history. Money is integers: prices in micro-dollars per 1M
 * tokens, costs in nano-dollars (1e-9 USD), exact to the nano-dollar per call.
 */
export class PriceTable {
  private readonly prices = new Map<string, Price[]>();

  constructor(...sources: Record<string, PriceInput | PriceInput[]>[]) {
    // Later sources (config) override earlier ones (shipped data): a dated entry adds to the
    // model's history, an undated one replaces it ("this is the price").
    for (const source of sources) {
      for (const [model, entries] of Object.entries(source)) {
        const given = Array.isArray(entries) ? entries : [entries];
        const list = given.map(toPrice);
        const kept = given.some((p) => p.from === undefined) ? [] : (this.prices.get(model) ?? []).filter((p) => !list.some((n) => n.from === p.from));
        const merged = [...kept, ...list];
        this.prices.set(
          model,
          merged.sort((a, b) => a.from - b.from),
        );
      }
    }
  }

  static shipped(): Record<string, PriceInput[]> {
    const file = new URL("../../data/prices.json", import.meta.url);
    return (JSON.parse(readFileSync(file, "utf8")) as { models: Record<string, PriceInput[]> }).models;
  }

  /** The price in force for `model` at `at`; tries the names it may be listed under too (price-names.ts). */
  lookup(model: string, at = Date.now()): Price | undefined {
    // The name as given comes first in priceNames: when it is listed, the others are not looked at (nor made).
    const list =
      this.prices.get(model) ??
      priceNames(model)
        .map((name) => this.prices.get(name))
        .find((found) => found !== undefined);
    if (!list) return undefined;
    let found: Price | undefined;
    for (const p of list) if (p.from <= at) found = p;
    return found ?? list[0];
  }

  /** Cost of `usage` in nano-dollars; 0 for a model with no price. */
  cost(model: string, usage: Pick<Usage, "inputTokens" | "outputTokens" | "cachedInputTokens" | "cacheWriteTokens">, at = Date.now()): number {
    const price = this.lookup(model, at);
    return price ? costOf(price, usage) : 0;
  }
}

/** tokens × micro-dollars per 1M = pico-dollars; / 1000 = nano-dollars, rounded once per call. */
export function costOf(price: Price, usage: Pick<Usage, "inputTokens" | "outputTokens" | "cachedInputTokens" | "cacheWriteTokens">): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  const picos = uncached * price.input + usage.cachedInputTokens * price.cachedInput + usage.cacheWriteTokens * price.cacheWrite + usage.outputTokens * price.output;
  return Math.round(picos / 1000);
}

export { NANOS_PER_USD } from "../spec/money.js";
