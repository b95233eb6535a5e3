import { meterAttempt, usageOf } from "../engine/final-usage.js";
import { addUsage, type Usage } from "../spec/usage.js";
import type { GatewayContext } from "./context.js";

export interface FinalUsage {
  usage: Usage;
  costNanos: number;
  /** The upstream model that produced it (priced by that name). */
  model: string;
}

const computed = new WeakMap<GatewayContext, FinalUsage | undefined>();

/**
 * What the request consumed, once it is over: computed once and shared by every stage
 * that needs it (budget settlement, the ledger record). Undefined when nothing was metered.
 * Attempts metered earlier (steps of a repair or tool loop) are added to the answering one,
 * and still count when a later step failed and no answer came.
 */
export function finalUsage(ctx: GatewayContext): FinalUsage | undefined {
  if (computed.has(ctx)) return computed.get(ctx);
  // Dispatch sets `upstream` right after the attempt that answered, so that attempt is last.
  const winner = ctx.attempts.at(-1);
  let result: FinalUsage | undefined;
  if (ctx.request && winner) {
    if (ctx.upstream && !winner.usage) meterAttempt(ctx, winner, usageOf(ctx.request, ctx.upstream));
    for (const attempt of ctx.attempts) {
      if (!attempt.usage) continue;
      const costNanos = attempt.costNanos ?? 0;
      result = result ? { usage: addUsage(result.usage, attempt.usage), costNanos: result.costNanos + costNanos, model: attempt.model } : { usage: attempt.usage, costNanos, model: attempt.model };
    }
  }
  computed.set(ctx, result);
  return result;
}
