import { GatewayError } from "../../errors/gateway-error.js";
import { UpstreamHttpError } from "../../errors/upstream-errors.js";
import { replayAnswer } from "../../engine/answer-recorder.js";
import { joined } from "../../transport/upstream-body.js";
import type { RoutedContext } from "../context.js";
import { finalUsage } from "../final-usage.js";
import type { OpenedUpstream } from "../../engine/upstream-attempt.js";
import type { StoredOutcome, StoredReplay } from "../../idempotency/types.js";

/** The complete answer the first request gave, to keep for its key; undefined when there is none (failed, cut, cancelled). */
export function answerToStore(ctx: RoutedContext): StoredReplay | undefined {
  const upstream = ctx.upstream;
  if (!upstream || ctx.status !== 200) return undefined;
  let outcome: StoredOutcome;
  if (upstream.kind === "embedding") {
    outcome = { kind: "embedding", api: upstream.api, response: upstream.response, raw: joined(upstream.raw).toString("utf8") };
  } else {
    const answer = ctx.recorder?.answer(upstream);
    if (!answer) return undefined;
    outcome = { kind: "answer", answer };
  }
  return { requestId: ctx.id, completedAt: Date.now(), costNanos: finalUsage(ctx)?.costNanos ?? 0, outcome };
}

/**
 * A failure worth keeping: the provider rejected the request itself (a 4xx it would send
 * again for the same body). Everything else (429, 5xx, timeouts, budgets, a cut stream, a
 * client that left) frees the key instead, so that a retry runs.
 */
export function rejectionToStore(ctx: RoutedContext, err: unknown): StoredReplay | undefined {
  if (!(err instanceof UpstreamHttpError) || err.fallbackable) return undefined;
  const message = ctx.services.redactor.redact(err.message);
  return { requestId: ctx.id, completedAt: Date.now(), costNanos: 0, outcome: { kind: "error", status: err.status, type: err.type, code: err.relayedCode ?? err.code, message, param: err.param } };
}

/** The stored outcome as this request's answer: relayed in the mode it asks for, or thrown as the same error. */
export function replayOf(ctx: RoutedContext, outcome: StoredOutcome): OpenedUpstream {
  if (outcome.kind === "error") {
    // Only an upstream's rejection is kept (rejectionToStore): relayed again with its status and code.
    throw new GatewayError("upstream_rejected_request", outcome.message, { param: outcome.param, override: { status: outcome.status, type: outcome.type }, relayedCode: outcome.code });
  }
  if (outcome.kind === "embedding") return { kind: "embedding", api: outcome.api, response: outcome.response, raw: [Buffer.from(outcome.raw, "utf8")], ttftMs: 0 };
  return replayAnswer(ctx.request, outcome.answer, ctx.signal);
}
