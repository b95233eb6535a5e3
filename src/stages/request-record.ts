import { GatewayError } from "../errors/gateway-error.js";
import type { GatewayContext } from "./context.js";
import type { RequestOutcome, RequestRecord } from "../spec/request-record.js";
import { finalUsage } from "./final-usage.js";

/** The record as the answer's last bytes go out, for the journal; kept for the meter. */
export function endedRecord(ctx: GatewayContext): RequestRecord {
  const record = requestRecord(ctx);
  ctx.ended = { record, status: ctx.status, error: ctx.error };
  return record;
}

/**
 * The record once the request is over, for the ledger, logs, metrics and traces: the one
 * journaled as the answer ended (built once; its line is written already) with the latency of
 * now, as a fresh record would have it (the attempts' own ends come after the answer's, and a
 * trace's request span must contain them), unless the request ended otherwise since (an error
 * after the answer, the client leaving), or no answer ended.
 */
export function finalRecord(ctx: GatewayContext): RequestRecord {
  const ended = ctx.ended;
  if (!ended || ended.status !== ctx.status || ended.error !== ctx.error) return requestRecord(ctx);
  ended.record.latencyMs = latencyOf(ctx);
  return ended.record;
}

const latencyOf = (ctx: GatewayContext) => performance.now() - ctx.startedAtMono;

/** The record of a request as it stands. */
function requestRecord(ctx: GatewayContext): RequestRecord {
  const record: RequestRecord = {
    id: ctx.id,
    api: ctx.codec.api,
    startedAt: ctx.startedAt,
    stream: ctx.request?.stream ?? false,
    status: ctx.status,
    outcome: outcomeOf(ctx),
    attempts: ctx.attempts,
    latencyMs: latencyOf(ctx),
  };
  if (ctx.route) record.route = ctx.route.name;
  if (ctx.identity) record.identity = ctx.identity;
  if (ctx.cache) record.cache = ctx.cache;
  if (ctx.toolCalls.length > 0) record.toolCalls = ctx.toolCalls;
  // What the client was told: anything not the gateway's own error was rendered as internal_error.
  if (ctx.error !== undefined) record.errorCode = ctx.error instanceof GatewayError ? ctx.error.code : "internal_error";
  const final = finalUsage(ctx);
  if (final) {
    record.usage = final.usage;
    record.costNanos = final.costNanos;
  }
  const winner = ctx.attempts.at(-1);
  if (ctx.upstream && winner && !ctx.cache) record.ttftMs = ctx.upstream.ttftMs + (winner.startedAt - ctx.startedAt);
  return record;
}

function outcomeOf(ctx: GatewayContext): RequestOutcome {
  if (ctx.status === 499) return "cancelled";
  return ctx.error === undefined ? "complete" : "failed";
}
