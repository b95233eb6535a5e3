import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import type { Usage } from "../../spec/usage.js";
import { countMessageTokens, countTextTokens } from "../../usage/tokenizer.js";
import type { Stage } from "../compose.js";
import type { GatewayContext, RequestOutcome, RequestRecord } from "../context.js";
import type { OpenedUpstream } from "../upstream-attempt.js";

function estimate(request: CanonicalRequest, output: string): Usage {
  return { inputTokens: countMessageTokens(request.messages), outputTokens: countTextTokens(output), cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" };
}

function responseText(response: CanonicalResponse): string {
  return response.choices.map((c) => [c.reasoning ?? "", c.text ?? "", ...(c.toolCalls ?? []).map((t) => t.name + t.arguments)].join("")).join("");
}

/** The usage of the answering attempt: as reported, or counted when the provider never said (cut streams). */
function usageOf(request: CanonicalRequest, upstream: OpenedUpstream): Usage {
  if (upstream.kind === "response") return upstream.response.usage ?? estimate(request, responseText(upstream.response));
  const { tap } = upstream.stream;
  return tap.reported ?? estimate(request, tap.output.join(""));
}

/**
 * Outermost stage: once the request is over, however it ended, captures its usage and
 * hands one typed record to the configured sinks (the ledger, metrics, logs).
 */
export const meter: Stage<GatewayContext> = async (ctx, next) => {
  try {
    await next();
  } finally {
    const record: RequestRecord = {
      id: ctx.id,
      api: ctx.codec.api,
      startedAt: ctx.startedAt,
      stream: ctx.request?.stream ?? false,
      status: ctx.status,
      outcome: outcomeOf(ctx),
      attempts: ctx.attempts,
      latencyMs: performance.now() - ctx.startedAtMono,
    };
    if (ctx.route) record.route = ctx.route.name;
    if (ctx.identity) record.identity = ctx.identity;
    const code = (ctx.error as { code?: unknown } | undefined)?.code;
    if (typeof code === "string") record.errorCode = code;
    if (ctx.upstream && ctx.request) {
      const usage = usageOf(ctx.request, ctx.upstream);
      record.usage = usage;
      const winner = ctx.attempts[ctx.attempts.length - 1];
      if (winner) winner.usage = usage;
      record.ttftMs = ctx.upstream.ttftMs + (winner ? winner.startedAt - ctx.startedAt : 0);
    }
    ctx.services.onRecord(record);
  }
};

function outcomeOf(ctx: GatewayContext): RequestOutcome {
  if (ctx.status === 499) return "cancelled";
  return ctx.error === undefined ? "complete" : "failed";
}
