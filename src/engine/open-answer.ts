import { setTimeout as sleep } from "node:timers/promises";
import type { ResolvedRoute } from "../config/resolve.js";
import { GatewayError, InternalError } from "../errors/gateway-error.js";
import { redactError } from "../errors/redact-error.js";
import { AllTargetsFailedError, CircuitOpenError, isUpstreamFailure, type AttemptSummary } from "../errors/upstream-errors.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { UpstreamCall } from "./upstream-call.js";
import type { AttemptRecord } from "../spec/request-record.js";
import { meterAttempt, responseUsage } from "./final-usage.js";
import { retryDelay } from "./retry-policy.js";
import { openUpstream, type OpenedUpstream } from "./upstream-attempt.js";

/** One target of a route: a step may be limited to some (a structured output asks one target at a time). */
export type RouteTarget = ResolvedRoute["targets"][number];

/** An attempt that answered, with what is needed to close it once the answer is relayed. */
export interface OpenedAnswer {
  opened: OpenedUpstream;
  record: AttemptRecord;
  breaker: CircuitBreaker;
  /** "provider/model" of the target that answered. */
  label: string;
  startedMono: number;
}

/**
 * Retry and fallback: walks the route's targets in order, retrying each on retryable
 * failures with backoff, skipping targets whose breaker is open, until one answers.
 * Every attempt is recorded on `call.attempts`. `route`: the request's own unless another
 * serves a part of it (the semantic cache's embedding route).
 */
export async function openAnswer(call: UpstreamCall, request: CanonicalRequest, route: ResolvedRoute, targets: readonly RouteTarget[] = route.targets): Promise<OpenedAnswer> {
  const failures: AttemptSummary[] = [];
  let last: GatewayError | undefined;

  for (const target of targets) {
    const label = `${target.provider}/${target.model}`;
    const provider = call.services.providers.get(target.provider)!;
    const breaker = call.services.breakers.get(target.provider, target.model, route.breaker);
    for (let retry = 0; ; retry++) {
      if (!breaker.tryAcquire()) {
        last = new CircuitOpenError(label, breaker.retryInMs);
        failures.push({ target: label, attempt: 0, code: last.code, message: last.message });
        break;
      }
      call.upstreamBegins(target.provider, target.model);
      const record: AttemptRecord = { attempt: call.attempts.length + 1, provider: target.provider, model: target.model, startedAt: Date.now(), status: "pending" };
      if (call.step > 1) record.step = call.step;
      call.attempts.push(record);
      const startedMono = performance.now();
      try {
        const opened = await openUpstream(provider, request, target.model, route.timeouts, call.signal);
        breaker.onSuccess();
        record.status = "ok";
        record.ttftMs = opened.ttftMs;
        return { opened, record, breaker, label, startedMono };
      } catch (caught) {
        // An upstream's error may quote a key in any field: redacted before anything records or relays it.
        const err = redactError(caught, call.services.redactor);
        record.durationMs = performance.now() - startedMono;
        if (call.signal.aborted) {
          breaker.release();
          record.status = "cancelled";
          throw call.signal.reason;
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
          await sleep(delay, undefined, { signal: call.signal });
        } catch {
          throw call.signal.reason;
        }
      }
    }
  }
  throw new AllTargetsFailedError(route.name, failures, last);
}

/** Closes an attempt once its answer was relayed (or abandoned): a stream that failed counts against its breaker. */
export function closeAnswer(call: UpstreamCall, answer: OpenedAnswer): void {
  const { opened, record, breaker } = answer;
  record.durationMs = performance.now() - answer.startedMono;
  if (opened.kind !== "stream") return;
  const { stream } = opened;
  // However the relay ended, the upstream request ends with it.
  stream.dispose();
  if (stream.outcome === "failed" && isUpstreamFailure(stream.error) && !call.signal.aborted) {
    breaker.onFailure();
    record.status = "error";
    record.errorCode = redactError(stream.error as GatewayError, call.services.redactor).code;
  } else if (stream.outcome === "cancelled" || call.signal.aborted) {
    record.status = "cancelled";
  }
}

/**
 * One complete, non-streamed call through the route's targets (with retries and
 * fallback), consumed inside the gateway: a step of a repair or tool loop. The answering
 * attempt is metered at once, so the request's total counts every step.
 */
export async function completeStep(call: UpstreamCall, request: CanonicalRequest, route: ResolvedRoute, targets?: readonly RouteTarget[]): Promise<CanonicalResponse> {
  const answer = await openAnswer(call, { ...request, stream: false }, route, targets);
  closeAnswer(call, answer);
  if (answer.opened.kind !== "response") throw new InternalError(new Error(`A step expected a complete answer, got a ${answer.opened.kind}.`));
  const { response } = answer.opened;
  meterAttempt(call, answer.record, responseUsage(request, response));
  return response;
}
