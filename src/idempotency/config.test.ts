import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../config/resolve.js";

const base = { providers: { up: { type: "openai", baseURL: "http://127.0.0.1:9/v1" } }, models: { m: { targets: [{ provider: "up", model: "x" }] } } };

describe("idempotency config", () => {
  it("defaults: a day's retention, waiting duplicates, the database as the store, each key its own scope", () => {
    expect(resolveConfig(base, {}).idempotency).toEqual({ retentionMs: 86_400_000, onConcurrent: "wait", waitTimeoutMs: 60_000, leaseMs: 30_000, store: "database", scope: "key" });
  });

  it("uses Redis by default when there is one, and refuses a Redis store without it", () => {
    expect(resolveConfig(base, { REDIS_URL: "redis://127.0.0.1:6379" }).idempotency.store).toBe("redis");
    expect(resolveConfig({ ...base, idempotency: { store: "memory" } }, { REDIS_URL: "redis://127.0.0.1:6379" }).idempotency.store).toBe("memory");
    expect(() => resolveConfig({ ...base, idempotency: { store: "redis" } }, {})).toThrow(/idempotency\.store: The redis store needs redis\.url/);
  });

  it("takes a provider's idempotency header (lower-cased) and refuses what is not a header name", () => {
    const config = resolveConfig({ ...base, providers: { up: { type: "openai-compatible", baseURL: "http://127.0.0.1:9/v1", idempotencyHeader: "Idempotency-Key" } } }, {});
    expect(config.providers.up).toMatchObject({ idempotencyHeader: "idempotency-key" });
    expect(resolveConfig(base, {}).providers.up).not.toHaveProperty("idempotencyHeader");
    expect(() => resolveConfig({ ...base, providers: { up: { type: "openai", idempotencyHeader: "Idempotency Key" } } }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ ...base, idempotency: { leaseMs: 10 } }, {})).toThrow(/idempotency\.leaseMs/);
  });
});
