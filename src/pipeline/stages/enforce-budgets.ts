import { linesFor, rulesFromKeyLimits } from "../../budgets/counter-lines.js";
import { BudgetExceededError } from "../../budgets/budget-exceeded.js";
import type { BudgetRule, BudgetStore, CounterLine } from "../../budgets/types.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";
import { finalUsage } from "../final-usage.js";
import { promptTokens } from "../prompt-tokens.js";

export interface BudgetOptions {
  store: BudgetStore;
  rules: readonly BudgetRule[];
  reservationTtlMs: number;
  defaultMaxOutputTokens: number;
  log: (message: string) => void;
}

/**
 * Budgets and rate limits by reservation: before the call, the worst case (prompt tokens
 * counted + the most output it may produce, at the priciest target of the route) is
 * reserved atomically on every counter that applies; after it, the reservation is
 * replaced by what was really used. Requests that cannot reserve never reach upstream.
 */
export function enforceBudgets(options: BudgetOptions): Stage<GatewayContext> {
  return async (ctx, next) => {
    const identity = ctx.identity!;
    const rules = identity.limits ? [...options.rules, ...rulesFromKeyLimits(identity.keyId, identity.limits)] : options.rules;
    if (rules.length === 0) return next();
    const request = ctx.request!;
    const route = ctx.route!;
    const inputTokens = promptTokens(ctx);
    // Embeddings produce no output: only their input is reserved.
    const outputTokens = request.embedding ? 0 : (request.maxOutputTokens ?? route.maxOutputTokens ?? options.defaultMaxOutputTokens) * (request.n ?? 1);
    const worst = { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0 };
    const usdNanos = Math.max(...route.targets.map((t) => ctx.services.prices.cost(t.model, worst, ctx.startedAt)));
    const lines = linesFor([...rules], identity, { usdNanos, tokens: inputTokens + outputTokens, requests: 1 }, ctx.startedAt);
    if (lines.length === 0) return next();

    const result = await options.store.reserve(ctx.id, lines, options.reservationTtlMs);
    if (!result.ok) throw new BudgetExceededError(lines[result.line]!, result.remaining, result.resetsAt);
    try {
      await next();
    } finally {
      await options.store.settle(ctx.id, actualAmounts(ctx, lines)).catch((err: unknown) => {
        // The reservation expires on its own; what was spent is still in the ledger.
        options.log(`budget settlement failed for ${ctx.id}: ${(err as Error).message}`);
      });
    }
  };
}

function actualAmounts(ctx: GatewayContext, lines: readonly CounterLine[]) {
  const final = finalUsage(ctx);
  return lines.map((line) => ({
    counter: line.counter,
    windowEndsAt: line.windowEndsAt,
    amount: line.rule.unit === "requests" ? 1 : !final ? 0 : line.rule.unit === "usd" ? final.costNanos : final.usage.inputTokens + final.usage.outputTokens,
  }));
}
