import type { Stage } from "./compose.js";
import type { GatewayContext } from "./context.js";
import { finalRecord } from "./request-record.js";

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
    ctx.services.onRecord(finalRecord(ctx), ctx);
  }
};
