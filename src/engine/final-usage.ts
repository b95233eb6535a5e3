import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { Usage } from "../spec/usage.js";
import { countMessageTokens, countTextTokens } from "../usage/tokenizer.js";
import type { UpstreamCall } from "./upstream-call.js";
import type { AttemptRecord } from "../spec/request-record.js";
import type { OpenedUpstream } from "./upstream-attempt.js";

function estimate(request: CanonicalRequest, output: string): Usage {
  return { inputTokens: countMessageTokens(request.messages), outputTokens: countTextTokens(output), cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" };
}

/** Usage of a complete answer: as reported, or counted from its text. */
export function responseUsage(request: CanonicalRequest, response: CanonicalResponse): Usage {
  return response.usage ?? estimate(request, responseText(response));
}

/** Meters an attempt whose answer was consumed inside the gateway (a step of a multi-step answer). */
export function meterAttempt(call: Pick<UpstreamCall, "services" | "startedAt">, attempt: AttemptRecord, usage: Usage): void {
  attempt.usage = usage;
  attempt.costNanos = call.services.prices.cost(attempt.model, usage, call.startedAt);
}

export function responseText(response: CanonicalResponse): string {
  return response.choices.map((c) => [c.reasoning ?? "", c.text ?? "", ...(c.toolCalls ?? []).map((t) => t.name + t.arguments)].join("")).join("");
}

/** The usage of the answering attempt: as reported, or counted when the provider never said (cut streams). */
export function usageOf(request: CanonicalRequest, upstream: OpenedUpstream): Usage {
  if (upstream.kind === "response") return upstream.usage ?? responseUsage(request, upstream.response);
  // Embeddings: input only, reported or already counted by the attempt.
  if (upstream.kind === "embedding") return upstream.response.usage;
  const { tap } = upstream.stream;
  return tap.reported ?? estimate(request, tap.output().join(""));
}
