import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import { addUsage, type Usage } from "../spec/usage.js";
import { countMessageTokens, countTextTokens } from "../usage/tokenizer.js";
import type { AttemptRecord, GatewayContext } from "./context.js";
import type { OpenedUpstream } from "./upstream-attempt.js";

export interface FinalUsage {
  usage: Usage;
  costNanos: number;
  /** The upstream model that produced it (priced by that name). */
  model: string;
}

function estimate(request: CanonicalRequest, output: string): Usage {
  return { inputTokens: countMessageTokens(request.messages), outputTokens: countTextTokens(output), cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" };
}

/** Usage of a complete answer: as reported, or counted from its text. */
export function responseUsage(request: CanonicalRequest, response: CanonicalResponse): Usage {
  return response.usage ?? estimate(request, responseText(response));
}

/** Meters an attempt whose answer was consumed inside the gateway (a step of a multi-step answer). */
export function meterAttempt(ctx: GatewayContext, attempt: AttemptRecord, usage: Usage): void {
  attempt.usage = usage;
  attempt.costNanos = ctx.services.prices.cost(attempt.model, usage, ctx.startedAt);
}

export function responseText(response: CanonicalResponse): string {
  return response.choices.map((c) => [c.reasoning ?? "", c.text ?? "", ...(c.toolCalls ?? []).map((t) => t.name + t.arguments)].join("")).join("");
}

/** The usage of the answering attempt: as reported, or counted when the provider never said (cut streams). */
export function usageOf(request: CanonicalRequest, upstream: OpenedUpstream): Usage {
  if (upstream.kind === "response") return responseUsage(request, upstream.response);
  // Embeddings: input only, reported or already counted by the attempt.
  if (upstream.kind === "embedding") return upstream.response.usage;
  const { tap } = upstream.stream;
  return tap.reported ?? estimate(request, tap.output.join(""));
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
