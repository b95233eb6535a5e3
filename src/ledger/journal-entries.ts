import type { CounterLine } from "../budgets/types.js";
import type { ErrorCode } from "../errors/codes.js";
import type { GatewayContext, RequestRecord } from "../pipeline/context.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { Usage } from "../spec/usage.js";
import { billingTarget, inputTokenBound } from "../usage/input-bound.js";
import { countTextTokens } from "../usage/tokenizer.js";
import type { JournalBegin, JournalBudgetLine, OpenRequest } from "./journal.js";

/** The error code of a request the gateway's process died in the middle of. */
const INTERRUPTED: ErrorCode = "gateway_interrupted";

/** A request's begin line: who pays, on which counters, for which model, with how much input. */
export function beginEntry(ctx: GatewayContext, provider: string, model: string): JournalBegin {
  const target = billingTarget(ctx.services.config.providers[provider]?.type ?? "", model);
  // Billed as the budget reserved it: the most this target can charge for the input.
  const inputTokens = ctx.request ? inputTokenBound(ctx.request, target) : 0;
  const entry: JournalBegin = { id: ctx.id, startedAt: ctx.startedAt, api: ctx.codec.api, stream: ctx.request?.stream ?? false, provider, model, inputTokens };
  if (ctx.route) entry.route = ctx.route.name;
  if (ctx.identity) entry.identity = ctx.identity;
  if (ctx.budgetLines) entry.budget = ctx.budgetLines.map((l) => ({ counter: l.counter, windowEndsAt: Number.isFinite(l.windowEndsAt) ? l.windowEndsAt : null, unit: l.rule.unit }));
  return entry;
}

/**
 * Output tokens relayed so far: the steps already metered plus the live stream's text,
 * counted as it grows (each piece once), for the journal's progress lines.
 */
export function relayedTokens(ctx: GatewayContext): () => number {
  let tap: unknown;
  let seen = 0;
  let live = 0;
  return () => {
    let metered = 0;
    for (const a of ctx.attempts) metered += a.usage?.outputTokens ?? 0;
    const upstream = ctx.upstream;
    if (upstream?.kind !== "stream") return metered;
    const { output } = upstream.stream.tap;
    if (upstream.stream.tap !== tap) {
      tap = upstream.stream.tap;
      seen = 0;
      live = 0;
    }
    if (output.length > seen) {
      live += countTextTokens(output.slice(seen).join(""));
      seen = output.length;
    }
    return metered + live;
  };
}

/** The record of a request an earlier process never finished: its prompt billed, its output as far as it was relayed, estimated. */
export function interruptedRecord(open: OpenRequest, prices: PriceTable): RequestRecord {
  const usage: Usage = { inputTokens: open.inputTokens, outputTokens: open.outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" };
  const costNanos = prices.cost(open.model, usage, open.startedAt);
  const record: RequestRecord = {
    id: open.id,
    api: open.api,
    startedAt: open.startedAt,
    stream: open.stream,
    status: 500,
    outcome: "interrupted",
    errorCode: INTERRUPTED,
    attempts: [
      {
        attempt: 1,
        provider: open.provider,
        model: open.model,
        startedAt: open.startedAt,
        durationMs: open.lastSeenAt - open.startedAt,
        status: "cancelled",
        errorCode: INTERRUPTED,
        usage,
        costNanos,
      },
    ],
    usage,
    costNanos,
    latencyMs: open.lastSeenAt - open.startedAt,
  };
  if (open.route !== undefined) record.route = open.route;
  if (open.identity) record.identity = open.identity;
  return record;
}

/** What a reservation settles to after a crash: the record's cost and tokens (estimated for an interrupted one), one request. */
export function settlementOf(budget: readonly JournalBudgetLine[], record: RequestRecord): Pick<CounterLine, "counter" | "amount" | "windowEndsAt">[] {
  const tokens = (record.usage?.inputTokens ?? 0) + (record.usage?.outputTokens ?? 0);
  return budget.map((line) => ({
    counter: line.counter,
    windowEndsAt: line.windowEndsAt ?? Infinity,
    amount: line.unit === "requests" ? 1 : line.unit === "usd" ? (record.costNanos ?? 0) : tokens,
  }));
}
