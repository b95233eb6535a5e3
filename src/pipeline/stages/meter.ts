import type { Stage } from "../compose.js";
import type { GatewayContext, RequestOutcome, RequestRecord } from "../context.js";
import { finalUsage } from "../final-usage.js";

/**
 * Outermost stage: once the request is over, however it ended, captures its usage and
 * cost and hands one typed record to the sinks (the ledger, metrics, logs and traces).
 */
export const meter: Stage<GatewayContext> = async (ctx, next) => {
  const { metrics } = ctx.services;
  metrics?.activeRequests.inc();
  try {
    await next();
  } finally {
    metrics?.activeRequests.dec();
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
    if (ctx.cache) record.cache = ctx.cache;
    if (ctx.toolCalls.length > 0) record.toolCalls = ctx.toolCalls;
    const code = (ctx.error as { code?: unknown } | undefined)?.code;
    if (typeof code === "string") record.errorCode = code;
    const final = finalUsage(ctx);
    if (final) {
      record.usage = final.usage;
      record.costNanos = final.costNanos;
    }
    const winner = ctx.attempts.at(-1);
    if (ctx.upstream && winner && !ctx.cache) record.ttftMs = ctx.upstream.ttftMs + (winner.startedAt - ctx.startedAt);
    ctx.services.onRecord(record, ctx);
  }
};

function outcomeOf(ctx: GatewayContext): RequestOutcome {
  if (ctx.status === 499) return "cancelled";
  return ctx.error === undefined ? "complete" : "failed";
}
