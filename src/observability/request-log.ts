import { NANOS_PER_USD } from "../pricing/price-table.js";
import type { ObservedRequest } from "./observed-request.js";
import type { RequestRecord } from "../spec/request-record.js";
import { completionText, promptText, truncate } from "./body-text.js";
import type { RecordFacts } from "./record-facts.js";

const ms = (value: number | undefined) => (value === undefined ? undefined : Math.round(value * 10) / 10);
/** An upstream's error body can be long; the line keeps its start. */
const MAX_ERROR_CHARS = 1_000;

function errorMessage(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  return truncate(err instanceof Error ? err.message : String(err), MAX_ERROR_CHARS);
}

/**
 * The one log line of a request (docs/observability.md lists its fields). Strings are
 * redacted by the caller; undefined fields are left out of the JSON.
 */
export function requestLogLine(record: RequestRecord, ctx: ObservedRequest, facts: RecordFacts): Record<string, unknown> {
  const { identity, usage } = record;
  const line: Record<string, unknown> = {
    request_id: record.id,
    key_id: identity?.keyId,
    user: identity?.userId,
    team: identity?.teamId,
    end_user: identity?.endUser,
    tags: identity?.tags,
    route: record.route,
    api: record.api,
    stream: record.stream,
    provider: facts.last?.provider,
    model: facts.last?.model,
    attempts: record.attempts.length,
    retries: facts.retries,
    steps: facts.steps,
    fallback: facts.fallback,
    status: record.status,
    outcome: record.outcome,
    error_code: record.errorCode,
    error_message: errorMessage(ctx.error),
    input_tokens: usage?.inputTokens,
    output_tokens: usage?.outputTokens,
    reasoning_tokens: usage?.reasoningTokens,
    cached_input_tokens: usage?.cachedInputTokens,
    usage_source: usage?.source,
    cost_usd: record.costNanos === undefined ? undefined : record.costNanos / NANOS_PER_USD,
    latency_ms: ms(record.latencyMs),
    ttft_ms: ms(record.ttftMs),
    cache_hit: record.cache !== undefined,
    cache_kind: record.cache?.kind,
    cache_saved_usd: record.cache ? record.cache.savedNanos / NANOS_PER_USD : undefined,
    tool_calls: record.toolCalls?.length,
    tool_calls_refused: record.toolCalls?.filter((c) => c.status === "refused").length,
  };
  const bodies = ctx.route?.logBodies;
  if (bodies && ctx.request) {
    line.prompt = truncate(promptText(ctx.request), bodies.maxChars);
    const completion = ctx.upstream && completionText(ctx.upstream);
    if (completion !== undefined) line.completion = truncate(completion, bodies.maxChars);
  }
  return line;
}
