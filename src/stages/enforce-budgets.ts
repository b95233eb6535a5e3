import { linesFor, rulesFor } from "../budgets/counter-lines.js";
import { BudgetExceededError } from "../budgets/budget-exceeded.js";
import type { BudgetRule, BudgetStore, CounterLine } from "../budgets/types.js";
import { worstCase } from "../budgets/worst-case.js";
import type { Stage } from "./compose.js";
import type { RoutedContext } from "./context.js";
import { finalUsage } from "./final-usage.js";

export interface BudgetOptions {
  store: BudgetStore;
  rules: readonly BudgetRule[];
  reservationTtlMs: number;
  defaultMaxOutputTokens: number;
  log: (message: string) => void;
}

/**
 * Budgets and rate limits by reservation: before the call, the worst case (every billed
 * input bounded + the most output it may produce, at the priciest target of the route) is
 * reserved atomically on every counter that applies; after it, the reservation is
 * replaced by what was really used. Requests that cannot reserve never reach upstream.
 */
export function enforceBudgets(options: BudgetOptions): Stage<RoutedContext> {
  return async (ctx, next) => {
    const identity = ctx.identity;
    const rules = rulesFor(options.rules, identity);
    if (rules.length === 0) return next();
    const routeTargets = ctx.route.targets;
    const worst = worstCase(costing(ctx, options), ctx.request, routeTargets);
    const lines = linesFor(rules, identity, { usdNanos: worst.usdNanos, tokens: worst.tokens, requests: 1 }, ctx.startedAt);
    if (lines.length === 0) return next();

    const result = await options.store.reserve(ctx.id, lines, options.reservationTtlMs);
    if (!result.ok) throw new BudgetExceededError(lines[result.line]!, result.remaining, result.resetsAt);
    ctx.budgetLines = lines;
    // Each further model call of this request (a repair, a tool loop's step) adds its own
    // worst case to the reservation, atomically, before it runs: what is held always covers
    // what the calls so far may spend, however many requests run at once. Settlement then
    // replaces the whole reservation with the actual usage of every call.
    ctx.reserveStep = async (stepRequest, targets = routeTargets) => {
      const step = worstCase(costing(ctx, options), stepRequest, targets);
      // The step belongs to a request already counted: it adds tokens and dollars, not requests.
      const stepLines = linesFor(rules, identity, { usdNanos: step.usdNanos, tokens: step.tokens, requests: 0 }, ctx.startedAt).filter((l) => l.amount > 0);
      if (stepLines.length === 0) return;
      const reserved = await options.store.reserve(ctx.id, stepLines, options.reservationTtlMs);
      if (!reserved.ok) throw new BudgetExceededError(stepLines[reserved.line]!, reserved.remaining, reserved.resetsAt);
    };
    try {
      await next();
    } finally {
      await options.store.settle(ctx.id, actualAmounts(ctx, lines)).then(
        () => ctx.services.journal?.settled(ctx.id),
        (err: unknown) => {
          // The reservation expires on its own; what was spent is still in the ledger.
          options.log(`budget settlement failed for ${ctx.id}: ${(err as Error).message}`);
        },
      );
    }
  };
}

function costing(ctx: RoutedContext, options: BudgetOptions) {
  const { prices, config } = ctx.services;
  return { prices, providers: config.providers, at: ctx.startedAt, defaultMaxOutputTokens: ctx.route?.maxOutputTokens ?? options.defaultMaxOutputTokens };
}

function actualAmounts(ctx: RoutedContext, lines: readonly CounterLine[]) {
  const final = finalUsage(ctx);
  return lines.map((line) => ({
    counter: line.counter,
    windowEndsAt: line.windowEndsAt,
    amount: line.rule.unit === "requests" ? 1 : !final ? 0 : line.rule.unit === "usd" ? final.costNanos : final.usage.inputTokens + final.usage.outputTokens,
  }));
}
