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

/** A line's fields as JSON text, in the order they are added; an undefined value is left out. */
class Fields {
  text = "";
  constructor(private readonly redact: (text: string) => string) {}

  /** What the gateway itself made or counted: its ids, enums, numbers, flags, config names. */
  plain(key: string, value: string | number | boolean | undefined): this {
    if (value === undefined) return this;
    // Numbers as pino writes them: String(), and null for what JSON has no number for.
    return this.add(key, typeof value === "string" ? JSON.stringify(value) : typeof value === "number" && !Number.isFinite(value) ? "null" : String(value));
  }

  /** What can carry a client's, a host's or an upstream's text: every string in it redacted. */
  redacted(key: string, value: unknown): this {
    if (value === undefined) return this;
    return this.add(key, typeof value === "string" ? JSON.stringify(this.redact(value)) : JSON.stringify(value, (_k, v: unknown) => (typeof v === "string" ? this.redact(v) : v)));
  }

  /** Tags, names and values redacted (a client names them in `x-tollgate-tags`), built by hand: JSON.stringify with a replacer costs several times more. */
  tags(key: string, tags: Record<string, string> | undefined): this {
    if (tags === undefined) return this;
    let json = "";
    for (const [k, v] of Object.entries(tags)) {
      // A host's identity hook is not type-checked at run time.
      if (typeof v !== "string") return this.redacted(key, Object.fromEntries(Object.entries(tags).map(([name, value]) => [this.redact(name), value])));
      json += `${json ? "," : ""}${JSON.stringify(this.redact(k))}:${JSON.stringify(this.redact(v))}`;
    }
    return this.add(key, `{${json}}`);
  }

  private add(key: string, json: string): this {
    this.text += `${this.text ? "," : ""}"${key}":${json}`;
    return this;
  }
}

/**
 * The one log line of a request (docs/observability.md lists its fields), as the JSON text of
 * its fields, built once. Route, provider and model are config names (metric labels too);
 * they and the gateway's own values are not run through `redact`.
 */
export function requestLogFields(record: RequestRecord, ctx: ObservedRequest, facts: RecordFacts, redact: (text: string) => string): string {
  const { identity, usage } = record;
  const line = new Fields(redact)
    .plain("request_id", record.id)
    .redacted("key_id", identity?.keyId)
    .redacted("user", identity?.userId)
    .redacted("team", identity?.teamId)
    .redacted("end_user", identity?.endUser)
    .tags("tags", identity?.tags)
    .plain("route", record.route)
    .plain("api", record.api)
    .plain("stream", record.stream)
    .plain("provider", facts.last?.provider)
    .plain("model", facts.last?.model)
    .plain("attempts", record.attempts.length)
    .plain("retries", facts.retries)
    .plain("steps", facts.steps)
    .plain("fallback", facts.fallback)
    .plain("status", record.status)
    .plain("outcome", record.outcome)
    .redacted("error_code", record.errorCode)
    .redacted("error_message", errorMessage(ctx.error))
    .plain("input_tokens", usage?.inputTokens)
    .plain("output_tokens", usage?.outputTokens)
    .plain("reasoning_tokens", usage?.reasoningTokens)
    .plain("cached_input_tokens", usage?.cachedInputTokens)
    .plain("usage_source", usage?.source)
    .plain("cost_usd", record.costNanos === undefined ? undefined : record.costNanos / NANOS_PER_USD)
    .plain("latency_ms", ms(record.latencyMs))
    .plain("ttft_ms", ms(record.ttftMs))
    .plain("cache_hit", record.cache !== undefined)
    .plain("cache_kind", record.cache?.kind)
    .plain("cache_saved_usd", record.cache ? record.cache.savedNanos / NANOS_PER_USD : undefined)
    .plain("tool_calls", record.toolCalls?.length)
    .plain("tool_calls_refused", record.toolCalls?.filter((c) => c.status === "refused").length);
  const bodies = ctx.route?.logBodies;
  if (bodies && ctx.request) {
    line.redacted("prompt", truncate(promptText(ctx.request), bodies.maxChars));
    const completion = ctx.upstream && completionText(ctx.upstream);
    if (completion !== undefined) line.redacted("completion", truncate(completion, bodies.maxChars));
  }
  return line.text;
}
