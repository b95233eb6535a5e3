import { describe, expect, it } from "vitest";
import { toRows } from "./rows.js";
import { makeRecord } from "./test-support/records.js";

describe("toRows", () => {
  it("maps a request, its attempts and its tags", () => {
    const record = makeRecord(1, {
      identity: { keyId: "key_a", userId: "alice", teamId: "red", endUser: "cust-9", tags: { env: "prod", app: "web" } },
      attempts: [
        { attempt: 1, provider: "openai", model: "gpt-4o", startedAt: 10, durationMs: 5.6, status: "error", errorCode: "upstream_timeout", upstreamStatus: 504 },
        {
          attempt: 2,
          provider: "azure",
          model: "gpt-4o-mini",
          startedAt: 20,
          durationMs: 99.5,
          ttftMs: 30.2,
          status: "ok",
          usage: { inputTokens: 100, outputTokens: 50, cachedInputTokens: 20, cacheWriteTokens: 10, reasoningTokens: 5, source: "estimated" },
          costNanos: 777,
        },
      ],
      usage: { inputTokens: 100, outputTokens: 50, cachedInputTokens: 20, cacheWriteTokens: 10, reasoningTokens: 5, source: "estimated" },
      costNanos: 777,
    });
    const rows = toRows(record);
    expect(rows.request).toEqual({
      id: "req_000001",
      started_at: record.startedAt,
      key_id: "key_a",
      user_id: "alice",
      team_id: "red",
      end_user: "cust-9",
      tags: '{"env":"prod","app":"web"}',
      route: "chat",
      api: "openai-chat",
      stream: 1,
      status: 200,
      outcome: "complete",
      error_code: null,
      provider: "azure",
      model: "gpt-4o-mini",
      attempts: 2,
      input_tokens: 100,
      output_tokens: 50,
      cached_input_tokens: 20,
      cache_write_tokens: 10,
      reasoning_tokens: 5,
      usage_source: "estimated",
      cost_nanos: 777,
      saved_nanos: 0,
      cache_hit: 0,
      cache_kind: null,
      latency_ms: 130,
      ttft_ms: 46,
      // A timeout on openai, then azure: a fallback, over two providers.
      attempt_errors: 1,
      retries: 0,
      fallbacks: 1,
      providers: 2,
    });
    expect(rows.attempts[0]).toEqual({
      request_id: "req_000001",
      attempt: 1,
      provider: "openai",
      model: "gpt-4o",
      started_at: 10,
      duration_ms: 6,
      ttft_ms: null,
      status: "error",
      error_code: "upstream_timeout",
      upstream_status: 504,
      step: 1,
      input_tokens: 0,
      output_tokens: 0,
      cached_input_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      usage_source: null,
      cost_nanos: 0,
    });
    expect(rows.attempts[1]).toMatchObject({ attempt: 2, input_tokens: 100, usage_source: "estimated", cost_nanos: 777, ttft_ms: 30 });
    expect(rows.tags).toEqual([
      { request_id: "req_000001", name: "env", value: "prod", started_at: record.startedAt, cost_nanos: 777, saved_nanos: 0, input_tokens: 100, output_tokens: 50 },
      { request_id: "req_000001", name: "app", value: "web", started_at: record.startedAt, cost_nanos: 777, saved_nanos: 0, input_tokens: 100, output_tokens: 50 },
    ]);
  });

  it("maps a request refused before any attempt (no identity, usage or cost)", () => {
    const { identity: _identity, usage: _usage, costNanos: _cost, ttftMs: _ttft, ...bare } = makeRecord(2);
    const rows = toRows({ ...bare, status: 401, outcome: "failed", errorCode: "invalid_api_key", attempts: [], stream: false });
    expect(rows.request).toMatchObject({
      key_id: null,
      user_id: null,
      tags: "{}",
      stream: 0,
      status: 401,
      outcome: "failed",
      error_code: "invalid_api_key",
      provider: null,
      model: null,
      attempts: 0,
      input_tokens: 0,
      usage_source: null,
      cost_nanos: 0,
      ttft_ms: null,
      attempt_errors: 0,
      retries: 0,
      fallbacks: 0,
      providers: 0,
    });
    expect(rows.attempts).toEqual([]);
    expect(rows.tags).toEqual([]);
  });

  it("maps a cache hit: its own cost, what it saved, and which cache answered", () => {
    const { usage: _usage, costNanos: _cost, ttftMs: _ttft, ...bare } = makeRecord(3);
    const record = { ...bare, attempts: [], cache: { kind: "semantic" as const, savedNanos: 9_000, similarity: 0.97, ageMs: 1500 } };
    const rows = toRows(record);
    expect(rows.request).toMatchObject({ cost_nanos: 0, saved_nanos: 9_000, cache_hit: 1, cache_kind: "semantic", attempts: 0, provider: null });
    expect(rows.tags).toEqual([{ request_id: record.id, name: "env", value: "prod", started_at: record.startedAt, cost_nanos: 0, saved_nanos: 9_000, input_tokens: 0, output_tokens: 0 }]);
  });
});
