import type { AttemptRecord, RequestRecord } from "../spec/request-record.js";
import { attemptOutcomes } from "./attempt-outcomes.js";

export type Cell = string | number | null;

/** Migration 13: the request's attempt outcomes (attempt-outcomes.ts); NULL on rows of earlier writers. */
export const requestOutcomeColumns = ["attempt_errors", "retries", "fallbacks", "providers"] as const;

export const requestColumns = [
  "id",
  "started_at",
  "key_id",
  "user_id",
  "team_id",
  "end_user",
  "tags",
  "route",
  "api",
  "stream",
  "status",
  "outcome",
  "error_code",
  "provider",
  "model",
  "attempts",
  "input_tokens",
  "output_tokens",
  "cached_input_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "usage_source",
  "cost_nanos",
  "saved_nanos",
  "cache_hit",
  "cache_kind",
  "latency_ms",
  "ttft_ms",
  ...requestOutcomeColumns,
] as const;

export const attemptColumns = [
  "request_id",
  "attempt",
  "provider",
  "model",
  "started_at",
  "duration_ms",
  "ttft_ms",
  "status",
  "error_code",
  "upstream_status",
  "step",
  "input_tokens",
  "output_tokens",
  "cached_input_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "usage_source",
  "cost_nanos",
] as const;

export const tagColumns = ["request_id", "name", "value", "started_at", "cost_nanos", "saved_nanos", "input_tokens", "output_tokens"] as const;

export const toolCallColumns = ["request_id", "step", "position", "name", "status", "error_code", "reused", "started_at", "duration_ms"] as const;

type RequestRow = Record<(typeof requestColumns)[number], Cell>;
type AttemptRow = Record<(typeof attemptColumns)[number], Cell>;
type TagRow = Record<(typeof tagColumns)[number], Cell>;
type ToolCallRow = Record<(typeof toolCallColumns)[number], Cell>;

/** The rows one finished request becomes; `seq` is added by the writer at insert time. */
export interface LedgerRows {
  request: RequestRow;
  attempts: readonly AttemptRow[];
  tags: readonly TagRow[];
  toolCalls: readonly ToolCallRow[];
}

/** Durations are measured with performance.now(); the ledger keeps whole milliseconds. */
const ms = (value: number | undefined): number | null => (value === undefined ? null : Math.round(value));

// Rows are object literals with every column written out, no spread of shared cells: a literal
// is made in one allocation, a spread in its middle builds the row key by key (most of what
// mapping a record cost).

function attemptRow(requestId: string, a: AttemptRecord): AttemptRow {
  const usage = a.usage;
  return {
    request_id: requestId,
    attempt: a.attempt,
    provider: a.provider,
    model: a.model,
    started_at: a.startedAt,
    duration_ms: ms(a.durationMs),
    ttft_ms: ms(a.ttftMs),
    status: a.status,
    error_code: a.errorCode ?? null,
    upstream_status: a.upstreamStatus ?? null,
    step: a.step ?? 1,
    input_tokens: usage?.inputTokens ?? 0,
    output_tokens: usage?.outputTokens ?? 0,
    cached_input_tokens: usage?.cachedInputTokens ?? 0,
    cache_write_tokens: usage?.cacheWriteTokens ?? 0,
    reasoning_tokens: usage?.reasoningTokens ?? 0,
    usage_source: usage?.source ?? null,
    cost_nanos: a.costNanos ?? 0,
  };
}

const NO_ROWS: readonly never[] = Object.freeze([]);

/**
 * Maps a request record to its ledger rows. Provider and model are those of the last
 * attempt: the one that answered, or the one whose failure ended the request.
 */
export function toRows(record: RequestRecord): LedgerRows {
  const identity = record.identity;
  const tags = identity?.tags ?? {};
  const last = record.attempts.at(-1);
  const costNanos = record.costNanos ?? 0;
  // A cache hit or idempotent replay: what the answer cost when it was first produced.
  const savedNanos = record.cache?.savedNanos ?? 0;
  const usage = record.usage;
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  const outcomes = attemptOutcomes(record.attempts);
  return {
    request: {
      id: record.id,
      started_at: record.startedAt,
      key_id: identity?.keyId ?? null,
      user_id: identity?.userId ?? null,
      team_id: identity?.teamId ?? null,
      end_user: identity?.endUser ?? null,
      tags: JSON.stringify(tags),
      route: record.route ?? null,
      api: record.api,
      stream: record.stream ? 1 : 0,
      status: record.status,
      outcome: record.outcome,
      error_code: record.errorCode ?? null,
      provider: last?.provider ?? null,
      model: last?.model ?? null,
      attempts: record.attempts.length,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      cached_input_tokens: usage?.cachedInputTokens ?? 0,
      cache_write_tokens: usage?.cacheWriteTokens ?? 0,
      reasoning_tokens: usage?.reasoningTokens ?? 0,
      usage_source: usage?.source ?? null,
      cost_nanos: costNanos,
      saved_nanos: savedNanos,
      cache_hit: record.cache ? 1 : 0,
      cache_kind: record.cache?.kind ?? null,
      latency_ms: Math.round(record.latencyMs),
      ttft_ms: ms(record.ttftMs),
      attempt_errors: outcomes.attemptErrors,
      retries: outcomes.retries,
      fallbacks: outcomes.fallbacks,
      providers: outcomes.providers,
    },
    attempts: record.attempts.map((a) => attemptRow(record.id, a)),
    tags: Object.keys(tags).map((name) => ({
      request_id: record.id,
      name,
      value: String(tags[name]),
      started_at: record.startedAt,
      cost_nanos: costNanos,
      saved_nanos: savedNanos,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
    })),
    toolCalls: record.toolCalls
      ? record.toolCalls.map((c) => ({
          request_id: record.id,
          step: c.step,
          position: c.position,
          name: c.name,
          status: c.status,
          error_code: c.errorCode ?? null,
          reused: c.reused ? 1 : 0,
          started_at: c.startedAt,
          duration_ms: Math.round(c.durationMs),
        }))
      : NO_ROWS,
  };
}
