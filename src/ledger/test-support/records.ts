import type { RequestRecord } from "../../spec/request-record.js";

/** A finished, successful request record; `n` makes its id and time distinct. */
export function makeRecord(n: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  // Attempts start after their request, as in the gateway: derived from an overridden start too.
  const startedAt = overrides.startedAt ?? 1_767_225_600_000 + n * 1000;
  return {
    id: `req_${String(n).padStart(6, "0")}`,
    api: "openai-chat",
    startedAt,
    route: "chat",
    identity: { keyId: "key_a", userId: "alice", teamId: "red", tags: { env: "prod" } },
    stream: true,
    status: 200,
    outcome: "complete",
    attempts: [
      {
        attempt: 1,
        provider: "openai",
        model: "gpt-4o-mini",
        startedAt: startedAt + 2,
        durationMs: 120.4,
        ttftMs: 40.6,
        status: "ok",
        usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" },
        costNanos: 4500,
      },
    ],
    usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" },
    costNanos: 4500,
    latencyMs: 130.2,
    ttftMs: 45.5,
    ...overrides,
  };
}
