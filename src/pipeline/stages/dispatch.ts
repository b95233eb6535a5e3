import { setTimeout as sleep } from "node:timers/promises";
import { GatewayError } from "../../errors/gateway-error.js";
import { AllTargetsFailedError, CircuitOpenError, isUpstreamFailure, type AttemptSummary } from "../../errors/upstream-errors.js";
import type { Stage } from "../compose.js";
import type { AttemptRecord, GatewayContext } from "../context.js";
import { retryDelay } from "../retry-policy.js";
import { openUpstream, type OpenedUpstream } from "../upstream-attempt.js";

/**
 * A client's field name as header text: a header holds only visible ASCII (Node throws on
 * anything else, after the upstream has answered), so other characters are percent-encoded as UTF-8.
 */
function headerSafe(name: string): string {
  return name.replace(/[^\x20-\x7e]/gu, (c) => [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""));
}

/**
 * Retry and fallback: walks the route's targets in order, retrying each on retryable
 * failures with backoff, skipping targets whose breaker is open, until one answers.
 * Everything here happens before the first byte reaches the client; once `next()`
 * (the relay) runs, nothing is retried.
 */
export const dispatch: Stage<GatewayContext> = async (ctx, next) => {
  const route = ctx.route!;
  const request = ctx.request!;
  const failures: AttemptSummary[] = [];
  let last: GatewayError | undefined;

  for (const target of route.targets) {
    const label = `${target.provider}/${target.model}`;
    const provider = ctx.services.providers.get(target.provider)!;
    const breaker = ctx.services.breakers.get(target.provider, target.model, route.breaker);
    for (let retry = 0; ; retry++) {
      if (!breaker.tryAcquire()) {
        last = new CircuitOpenError(label, breaker.retryInMs);
        failures.push({ target: label, attempt: 0, code: last.code, message: last.message });
        break;
      }
      const record: AttemptRecord = { attempt: ctx.attempts.length + 1, provider: target.provider, model: target.model, startedAt: Date.now(), status: "pending" };
      ctx.attempts.push(record);
      const started = performance.now();
      let opened: OpenedUpstream;
      try {
        opened = await openUpstream(provider, request, target.model, route.timeouts, ctx.signal);
      } catch (err) {
        record.durationMs = performance.now() - started;
        if (ctx.signal.aborted) {
          breaker.release();
          record.status = "cancelled";
          throw ctx.signal.reason;
        }
        record.status = "error";
        if (err instanceof GatewayError) {
          record.errorCode = err.code;
          const upstreamStatus = err.details?.upstreamStatus;
          if (typeof upstreamStatus === "number") record.upstreamStatus = upstreamStatus;
        }
        if (!isUpstreamFailure(err) || !err.fallbackable) {
          // The provider rejected the request itself: another target or try would too.
          breaker.release();
          throw err;
        }
        breaker.onFailure();
        last = err;
        failures.push({ target: label, attempt: record.attempt, code: err.code, message: err.message });
        if (!err.retryable || retry >= route.retry.maxRetries) break;
        const delay = retryDelay(retry, err.retryAfterMs, route.retry);
        if (delay === null) break;
        try {
          await sleep(delay, undefined, { signal: ctx.signal });
        } catch {
          throw ctx.signal.reason;
        }
        continue;
      }
      breaker.onSuccess();
      record.status = "ok";
      record.ttftMs = opened.ttftMs;
      ctx.upstream = opened;
      ctx.responseHeaders["x-tollgate-target"] = label;
      ctx.responseHeaders["x-tollgate-attempts"] = String(record.attempt);
      // Translated to another API: say which of the client's fields the target never saw.
      if (request.dropped?.length && opened.api !== request.inbound.api) ctx.responseHeaders["x-tollgate-dropped"] = request.dropped.map(headerSafe).join(", ");
      try {
        await next();
      } finally {
        record.durationMs = performance.now() - started;
        if (opened.kind === "stream") {
          const { stream } = opened;
          // However the relay ended, the upstream request ends with it.
          stream.dispose();
          if (stream.outcome === "failed" && isUpstreamFailure(stream.error) && !ctx.signal.aborted) {
            breaker.onFailure();
            record.status = "error";
            record.errorCode = (stream.error as GatewayError).code;
          } else if (stream.outcome === "cancelled" || ctx.signal.aborted) {
            record.status = "cancelled";
          }
        }
      }
      return;
    }
  }
  throw new AllTargetsFailedError(route.name, failures, last);
};
