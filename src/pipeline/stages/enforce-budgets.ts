import { linesFor, rulesFromKeyLimits } from "../../budgets/counter-lines.js";
import { BudgetExceededError } from "../../budgets/budget-exceeded.js";
import type { BudgetRule, BudgetStore, CounterLine } from "../../budgets/types.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";
import { finalUsage } from "../final-usage.js";
import { promptTokens } from "../prompt-tokens.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { countMessageTokens } from "../../usage/tokenizer.js";

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
    const lines = linesFor([...rules], identity, { ...worstCase(ctx, request, promptTokens(ctx)), requests: 1 }, ctx.startedAt);
    if (lines.length === 0) return next();

    const result = await options.store.reserve(ctx.id, lines, options.reservationTtlMs);
    if (!result.ok) throw new BudgetExceededError(lines[result.line]!, result.remaining, result.resetsAt);
    // Each further model call (a tool loop's step) reserves its own worst case under its
    // own id before it runs, held until the request settles: what is reserved always
    // covers what the steps so far may have spent, however many requests run at once.
    const steps: { id: string; lines: CounterLine[] }[] = [];
    ctx.reserveStep = async (stepRequest) => {
      const stepLines = linesFor([...rules], identity, { ...worstCase(ctx, stepRequest, countMessageTokens(stepRequest.messages)), requests: 0 }, ctx.startedAt);
      const id = `${ctx.id}:step${steps.length + 2}`;
      const reserved = await options.store.reserve(id, stepLines, options.reservationTtlMs);
      if (!reserved.ok) throw new BudgetExceededError(stepLines[reserved.line]!, reserved.remaining, reserved.resetsAt);
      steps.push({ id, lines: stepLines });
    };
    try {
      await next();
    } finally {
      const settlements = [
        options.store.settle(ctx.id, actualAmounts(ctx, lines)),
        // The request's own settlement counts every step: the step reservations are released.
        ...steps.map((step) => options.store.settle(step.id, step.lines.map((line) => ({ counter: line.counter, windowEndsAt: line.windowEndsAt, amount: 0 })))),
      ];
      for (const settled of await Promise.allSettled(settlements)) {
        // The reservation expires on its own; what was spent is still in the ledger.
        if (settled.status === "rejected") options.log(`budget settlement failed for ${ctx.id}: ${(settled.reason as Error).message}`);
      }
    }
  };

  /** The most one model call may cost: its prompt and the most output it may produce, at the priciest target of the route. */
  function worstCase(ctx: GatewayContext, request: CanonicalRequest, inputTokens: number): { usdNanos: number; tokens: number } {
    const route = ctx.route!;
    // Embeddings produce no output: only their input is reserved.
    const outputTokens = request.embedding ? 0 : (request.maxOutputTokens ?? route.maxOutputTokens ?? options.defaultMaxOutputTokens) * (request.n ?? 1);
    const worst = { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0 };
    return { usdNanos: Math.max(...route.targets.map((t) => ctx.services.prices.cost(t.model, worst, ctx.startedAt))), tokens: inputTokens + outputTokens };
  }
}

function actualAmounts(ctx: GatewayContext, lines: readonly CounterLine[]) {
  const final = finalUsage(ctx);
  return lines.map((line) => ({
    counter: line.counter,
    windowEndsAt: line.windowEndsAt,
    amount: line.rule.unit === "requests" ? 1 : !final ? 0 : line.rule.unit === "usd" ? final.costNanos : final.usage.inputTokens + final.usage.outputTokens,
  }));
}
