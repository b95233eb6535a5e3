import { describe, expect, test } from "vitest";
import { ConfigError, resolveConfig } from "./resolve.js";

const base = {
  providers: { sim: { type: "simulator" } },
  models: { fast: { targets: [{ provider: "sim", model: "sim" }] } },
};

describe("observability config", () => {
  test("defaults: info logs buffered to 4 KB, open metrics without process metrics, no tracing, no logged bodies", () => {
    const config = resolveConfig(base, {});
    expect(config.observability).toEqual({
      logs: { level: "info", bufferBytes: 4096 },
      metrics: { enabled: true, auth: "none", process: false },
      traces: { serviceName: "tollgate", sampleRatio: 1, headers: {} },
    });
    expect(config.models.fast!.logBodies).toBeUndefined();
  });

  test("trace exporter headers are secret references; logBodies true means 2000 characters", () => {
    const config = resolveConfig(
      {
        ...base,
        observability: { traces: { endpoint: "http://127.0.0.1:4318/v1/traces", headers: { "X-Token": "env:OTLP_TOKEN" }, sampleRatio: 0.25 } },
        models: { fast: { ...base.models.fast, logBodies: true }, slow: { ...base.models.fast, logBodies: { maxChars: 50 } } },
      },
      { OTLP_TOKEN: "otlp-secret" },
    );
    expect(config.observability.traces).toEqual({ endpoint: "http://127.0.0.1:4318/v1/traces", headers: { "x-token": "otlp-secret" }, serviceName: "tollgate", sampleRatio: 0.25 });
    expect(config.models.fast!.logBodies).toEqual({ maxChars: 2000 });
    expect(config.models.slow!.logBodies).toEqual({ maxChars: 50 });
  });

  test("bad values are named by path", () => {
    const bad = { ...base, observability: { logs: { level: "loud", bufferBytes: -1 }, metrics: { auth: "admin" }, traces: { endpoint: "not a url", sampleRatio: 2 } } };
    expect(() => resolveConfig(bad, {})).toThrow(ConfigError);
    try {
      resolveConfig(bad, {});
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual([
        "observability.logs.bufferBytes",
        "observability.logs.level",
        "observability.traces.endpoint",
        "observability.traces.sampleRatio",
      ]);
    }
  });

  test("logs.bufferBytes 0 turns log buffering off", () => {
    expect(resolveConfig({ ...base, observability: { logs: { bufferBytes: 0 } } }, {}).observability.logs).toEqual({ level: "info", bufferBytes: 0 });
  });

  test("admin-protected metrics need an admin key", () => {
    expect(() => resolveConfig({ ...base, observability: { metrics: { auth: "admin" } } }, {})).toThrow(/observability\.metrics\.auth: metrics\.auth "admin" needs at least one admin key/);
    expect(resolveConfig({ ...base, admin: { keys: ["adm-key-123456"] }, observability: { metrics: { auth: "admin" } } }, {}).observability.metrics.auth).toBe("admin");
  });
});
