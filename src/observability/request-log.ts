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

/** A copy of a value with every string in it, keys included, redacted: a host's identity hook is not type-checked at run time. */
function redactedDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactedDeep(v, redact));
  if (value === null || typeof value !== "object") return value;
  // No prototype: a tag a client named "__proto__" stays a field.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) copy[redact(k)] = redactedDeep(v, redact);
  return copy;
}

/**
 * The one log line of a request (docs/observability.md lists its fields), as the JSON text of
 * its fields, built once. Route, provider and model are config names (metric labels too);
 * they and the gateway's own values are not run through `redact`.
 */
export function requestLogFields(record: RequestRecord, ctx: ObservedRequest, facts: RecordFacts, redact: (text: string) => string): string {
  const { identity, usage } = record;
  const text = (value: string | undefined) => (value === undefined ? undefined : redact(value));
  // One object serialised once (a line built by concatenation allocated ~4 KB a request): JSON.stringify leaves out
  // undefined fields, writes a non-finite number as null as pino does, and keeps this order.
  const fields: Record<string, unknown> = {
    request_id: record.id,
    key_id: text(identity?.keyId),
    user: text(identity?.userId),
    team: text(identity?.teamId),
    end_user: text(identity?.endUser),
    tags: identity?.tags && redactedDeep(identity.tags, redact),
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
    error_code: text(record.errorCode),
    error_message: text(errorMessage(ctx.error)),
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
    fields.prompt = redact(truncate(promptText(ctx.request), bodies.maxChars));
    const completion = ctx.upstream && completionText(ctx.upstream);
    if (completion !== undefined) fields.completion = redact(truncate(completion, bodies.maxChars));
  }
  return JSON.stringify(fields).slice(1, -1);
}
