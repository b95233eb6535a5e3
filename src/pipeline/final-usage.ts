import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { Usage } from "../spec/usage.js";
import { countMessageTokens, countTextTokens } from "../usage/tokenizer.js";
import type { GatewayContext } from "./context.js";
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

export function responseText(response: CanonicalResponse): string {
  return response.choices.map((c) => [c.reasoning ?? "", c.text ?? "", ...(c.toolCalls ?? []).map((t) => t.name + t.arguments)].join("")).join("");
}

/** The usage of the answering attempt: as reported, or counted when the provider never said (cut streams). */
function usageOf(request: CanonicalRequest, upstream: OpenedUpstream): Usage {
  if (upstream.kind === "response") return upstream.response.usage ?? estimate(request, responseText(upstream.response));
  // Embeddings: input only, reported or already counted by the attempt.
  if (upstream.kind === "embedding") return upstream.response.usage;
  const { tap } = upstream.stream;
  return tap.reported ?? estimate(request, tap.output.join(""));
}

const computed = new WeakMap<GatewayContext, FinalUsage | undefined>();

/**
 * What the request consumed, once it is over: computed once and shared by every stage
 * that needs it (budget settlement, the ledger record). Undefined when no upstream answered.
 */
export function finalUsage(ctx: GatewayContext): FinalUsage | undefined {
  if (computed.has(ctx)) return computed.get(ctx);
  let result: FinalUsage | undefined;
  // Dispatch sets `upstream` right after the attempt that answered, so that attempt is last.
  const winner = ctx.attempts.at(-1);
  if (ctx.upstream && ctx.request && winner) {
    const usage = usageOf(ctx.request, ctx.upstream);
    const costNanos = ctx.services.prices.cost(winner.model, usage, ctx.startedAt);
    winner.usage = usage;
    winner.costNanos = costNanos;
    result = { usage, costNanos, model: winner.model };
  }
  computed.set(ctx, result);
  return result;
}
