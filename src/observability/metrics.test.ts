import type { ErrorCode } from "../errors/codes.js";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../config/resolve.js";
import { BreakerRegistry } from "../engine/breaker-registry.js";
import type { GatewayContext } from "../stages/context.js";
import type { RequestRecord } from "../spec/request-record.js";
import { parsePrometheusText, sumOf } from "../../test/support/prometheus-text.js";
import { GatewayMetrics } from "./metrics.js";

const base = { providers: { sim: { type: "simulator" } }, models: { fast: { targets: [{ provider: "sim", model: "sim" }] } } } as const;
const config = resolveConfig(base, {});
const noFacts = { retries: 0, steps: 0, fallback: false };
const failed = (code: ErrorCode): RequestRecord => ({
  id: `req_${code}`,
  api: "openai-chat",
  startedAt: 0,
  route: "fast",
  stream: false,
  status: 400,
  outcome: "failed",
  errorCode: code,
  attempts: [],
  latencyMs: 1,
});
const noContext = { error: undefined } as GatewayContext;

describe("GatewayMetrics", () => {
  it("caps distinct error codes at 100, then counts them as other (records written by older versions carried providers' own codes)", async () => {
    const metrics = new GatewayMetrics(config, new BreakerRegistry());
    for (let i = 0; i < 130; i++) metrics.observe(failed(`provider_code_${i}` as ErrorCode), noContext, noFacts);
    metrics.observe(failed("provider_code_3" as ErrorCode), noContext, noFacts);
    const m = parsePrometheusText(await metrics.text());
    const codes = new Set(m.samples.filter((s) => s.name === "tollgate_errors_total").map((s) => s.labels.code));
    expect(codes.size).toBe(101);
    expect(sumOf(m, "tollgate_errors_total", { code: "other" })).toBe(30);
    expect(sumOf(m, "tollgate_errors_total", { code: "provider_code_3" })).toBe(2);
    expect(sumOf(m, "tollgate_errors_total")).toBe(131);
  });

  it("reads breaker states at scrape time, for every configured target", async () => {
    const breakers = new BreakerRegistry();
    const metrics = new GatewayMetrics(config, breakers);
    expect(sumOf(parsePrometheusText(await metrics.text()), "tollgate_circuit_breaker_state", { provider: "sim", model: "sim" })).toBe(0);
    const breaker = breakers.get("sim", "sim", { failureThreshold: 1, cooldownMs: 60_000 });
    breaker.tryAcquire();
    breaker.onFailure();
    expect(sumOf(parsePrometheusText(await metrics.text()), "tollgate_circuit_breaker_state", { provider: "sim", model: "sim" })).toBe(2);
  });

  it("process metrics only when asked", async () => {
    const withProcess = resolveConfig({ ...base, observability: { metrics: { process: true } } }, {});
    expect(parsePrometheusText(await new GatewayMetrics(withProcess, new BreakerRegistry()).text()).types.has("tollgate_process_cpu_seconds_total")).toBe(true);
    expect(parsePrometheusText(await new GatewayMetrics(config, new BreakerRegistry()).text()).types.has("tollgate_process_cpu_seconds_total")).toBe(false);
  });
});
