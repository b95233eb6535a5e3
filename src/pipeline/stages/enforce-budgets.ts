import { linesFor, rulesFromKeyLimits } from "../../budgets/counter-lines.js";
import { BudgetExceededError } from "../../budgets/budget-exceeded.js";
import type { BudgetRule, BudgetStore, CounterLine } from "../../budgets/types.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { countMessageTokens } from "../../usage/tokenizer.js";
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

/** What a request holds on the budget store, for steps that reserve more under the same reservation. */
interface Held {
  options: BudgetOptions;
  rules: readonly BudgetRule[];
}

const held = new WeakMap<GatewayContext, Held>();

/** The most a call with this many prompt tokens can cost, at the priciest of the given models. */
function worstCase(ctx: GatewayContext, options: BudgetOptions, request: CanonicalRequest, inputTokens: number, models: readonly string[]) {
  // Embeddings produce no output: only their input is reserved.
  const outputTokens = request.embedding ? 0 : (request.maxOutputTokens ?? ctx.route!.maxOutputTokens ?? options.defaultMaxOutputTokens) * (request.n ?? 1);
  const worst = { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0 };
  const usdNanos = Math.max(...models.map((model) => ctx.services.prices.cost(model, worst, ctx.startedAt)));
  return { usdNanos, tokens: inputTokens + outputTokens };
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
    const worst = worstCase(ctx, options, ctx.request!, promptTokens(ctx), ctx.route!.targets.map((t) => t.model));
    const lines = linesFor([...rules], identity, { ...worst, requests: 1 }, ctx.startedAt);
    if (lines.length === 0) return next();

    const result = await options.store.reserve(ctx.id, lines, options.reservationTtlMs);
    if (!result.ok) throw new BudgetExceededError(lines[result.line]!, result.remaining, result.resetsAt);
    held.set(ctx, { options, rules });
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

/**
 * Before another call within one request (a repair, a fallback after repairs): reserves
 * that call's worst case on top of what the request holds, atomically, or throws 429
 * without calling. Settlement at the end replaces everything held with the actual usage,
 * so the request never spends beyond what its counters allowed.
 */
export async function reserveStep(ctx: GatewayContext, request: CanonicalRequest, model: string): Promise<void> {
  const holding = held.get(ctx);
  if (!holding) return;
  const worst = worstCase(ctx, holding.options, request, countMessageTokens(request.messages), [model]);
  // The step is part of a request already counted: it adds tokens and dollars, not requests.
  const lines = linesFor([...holding.rules], ctx.identity!, { ...worst, requests: 0 }, ctx.startedAt).filter((l) => l.amount > 0);
  if (lines.length === 0) return;
  const result = await holding.options.store.reserve(ctx.id, lines, holding.options.reservationTtlMs);
  if (!result.ok) throw new BudgetExceededError(lines[result.line]!, result.remaining, result.resetsAt);
}

function actualAmounts(ctx: GatewayContext, lines: readonly CounterLine[]) {
  const final = finalUsage(ctx);
  return lines.map((line) => ({
    counter: line.counter,
    windowEndsAt: line.windowEndsAt,
    amount: line.rule.unit === "requests" ? 1 : !final ? 0 : line.rule.unit === "usd" ? final.costNanos : final.usage.inputTokens + final.usage.outputTokens,
  }));
}
