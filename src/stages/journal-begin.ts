import type { JournalBegin } from "../ledger/journal.js";
import { billingTarget, inputTokenBound } from "../usage/input-bound.js";
import { countTextTokens } from "../usage/tokenizer.js";
import type { GatewayContext } from "./context.js";

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
 * Output tokens relayed so far, for the journal's progress lines: the steps already metered
 * plus the live stream's text read so far, counted as it grows (each piece once), and its
 * frames relayed unread, estimated (UsageTap.outputEstimate).
 */
export function relayedTokens(ctx: GatewayContext): () => number {
  let tap: unknown;
  let seen = 0;
  let live = 0;
  const countNew = (texts: readonly string[]) => {
    if (texts.length > seen) {
      live += countTextTokens(texts.slice(seen).join(""));
      seen = texts.length;
    }
    return live;
  };
  return () => {
    let metered = 0;
    for (const a of ctx.attempts) metered += a.usage?.outputTokens ?? 0;
    const upstream = ctx.upstream;
    if (upstream?.kind !== "stream") return metered;
    if (upstream.stream.tap !== tap) {
      tap = upstream.stream.tap;
      seen = 0;
      live = 0;
    }
    return metered + upstream.stream.tap.outputEstimate(countNew);
  };
}
