import { internalsOf } from "../../src/gateway.js";
import { readFileSync } from "node:fs";
import { request } from "undici";
import { afterEach, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { createGateway } from "../../src/gateway.js";
import { waitFor } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { parsePrometheusText, sumOf, type Exposition } from "../support/prometheus-text.js";
import { postSse } from "../support/sse-client.js";

const sim = { type: "simulator", ttftMs: 0, tokensPerSecond: 100_000, answerTokens: 12 } as const;
const quick = { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 2 } };

function config(): ConfigInput {
  return {
    providers: { sim, flaky: { ...sim, fault: { kind: "status", status: 503, times: 1 } }, down: sim },
    prices: { "sim-a": { input: 1.25, output: 10 }, "sim-b": { input: 0.4, output: 1.6 } },
    budgets: { rules: [{ scope: "tag", id: "team=capped", period: "day", requests: 2 }] },
    models: {
      ok: { ...quick, targets: [{ provider: "sim", model: "sim-a" }] },
      // The first call fails once (a 503), the retry answers.
      retry: { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 }, targets: [{ provider: "flaky", model: "sim-b" }] },
      // The first target always fails; its breaker opens after 3 failures and later requests skip it.
      fallback: {
        ...quick,
        breaker: { failureThreshold: 3, cooldownMs: 600_000 },
        targets: [
          { provider: "down", model: "sim+500" },
          { provider: "sim", model: "sim-b" },
        ],
      },
      broken: { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 }, targets: [{ provider: "down", model: "dead+502" }] },
    },
  };
}

const gateways: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await request(`${url}/metrics`, { headers });
  return { status: res.statusCode, contentType: res.headers["content-type"], text: await res.body.text() };
}

type Row = Record<string, string | number | null>;
const label = (v: unknown) => (v === null ? "none" : String(v));

describe("/metrics", () => {
  test("parses as Prometheus text and agrees with the ledger after a mixed load", async () => {
    const gw = await startGateway(config());
    gateways.push(gw);
    const chat = (model: string, stream: boolean, headers: Record<string, string> = {}, body: Record<string, unknown> = {}) =>
      postSse(`${gw.baseURL}/chat/completions`, { model, stream, messages: [{ role: "user", content: "Count the tokens of this prompt." }], ...body }, headers);
    const statuses: number[] = [];
    const run = async (n: number, send: (i: number) => Promise<{ status: number }>) => {
      for (let i = 0; i < n; i++) statuses.push((await send(i)).status);
    };
    await run(8, (i) => chat("ok", i % 2 === 0));
    await run(2, (i) => chat("retry", i === 0));
    await run(5, (i) => chat("fallback", i % 2 === 1));
    await run(2, (i) => chat("broken", i === 0));
    await run(3, (i) => chat("ok", i === 1, { "x-tollgate-tags": "team=capped" }));
    await run(1, () => chat("no-such-model-for-metrics", false));
    await run(1, () => chat("ok", false, {}, { temperature: "hot" }));
    await run(1, () =>
      request(`${gw.baseURL}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "ok", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }),
      }).then(async (r) => {
        await r.body.text();
        return { status: r.statusCode };
      }),
    );
    // ok ×8, retry ×2, fallback ×5, broken ×2 (502), capped ×3 (the third over budget), unknown model, bad body, Messages API.
    expect(statuses).toEqual([...Array(15).fill(200), 502, 502, 200, 200, 429, 404, 400, 200]);

    const sql = await internalsOf(gw.gateway).services.store();
    await waitFor(async () => Number((await sql.query<{ n: number }>("SELECT count(*) AS n FROM tollgate_ledger_requests"))[0]!.n) === statuses.length, { message: "ledger rows" });
    const res = await scrape(gw.url);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const m: Exposition = parsePrometheusText(res.text);

    // Requests, by route and status.
    const byRoute = await sql.query<Row>("SELECT route, status, count(*) AS n FROM tollgate_ledger_requests GROUP BY route, status");
    expect(byRoute.length).toBeGreaterThanOrEqual(6);
    for (const r of byRoute) expect(sumOf(m, "tollgate_requests_total", { route: label(r.route), status: String(r.status) }), `${r.route} ${r.status}`).toBe(Number(r.n));
    expect(sumOf(m, "tollgate_requests_total")).toBe(statuses.length);
    expect(sumOf(m, "tollgate_request_duration_seconds_count")).toBe(statuses.length);

    // Tokens and cost, by route and answering target.
    const usage = await sql.query<Row>(
      "SELECT route, provider, model, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(reasoning_tokens) AS reasoning, sum(cached_input_tokens) AS cached, sum(cost_nanos) AS cost FROM tollgate_ledger_requests WHERE usage_source IS NOT NULL GROUP BY route, provider, model",
    );
    expect(usage.length).toBe(3);
    for (const u of usage) {
      const where = { route: label(u.route), provider: label(u.provider), model: label(u.model) };
      expect(Number(u.output)).toBeGreaterThan(0);
      for (const [type, column] of [
        ["input", "input"],
        ["output", "output"],
        ["reasoning", "reasoning"],
        ["cached_input", "cached"],
      ] as const) {
        expect(sumOf(m, "tollgate_tokens_total", { ...where, type }), `${type} of ${JSON.stringify(where)}`).toBe(Number(u[column]));
      }
      expect(Number(u.cost)).toBeGreaterThan(0);
      expect(sumOf(m, "tollgate_cost_usd_total", where)).toBeCloseTo(Number(u.cost) / 1e9, 12);
    }

    // Upstream attempts, by target and status.
    const attempts = await sql.query<Row>("SELECT provider, model, status, count(*) AS n FROM tollgate_ledger_attempts GROUP BY provider, model, status");
    for (const a of attempts) expect(sumOf(m, "tollgate_upstream_attempts_total", { provider: String(a.provider), model: String(a.model), status: String(a.status) })).toBe(Number(a.n));
    expect(sumOf(m, "tollgate_upstream_attempts_total")).toBe(attempts.reduce((acc, a) => acc + Number(a.n), 0));

    // Errors, by code.
    const errors = await sql.query<Row>("SELECT route, error_code, count(*) AS n FROM tollgate_ledger_requests WHERE error_code IS NOT NULL GROUP BY route, error_code");
    for (const e of errors) expect(sumOf(m, "tollgate_errors_total", { route: label(e.route), code: String(e.error_code) })).toBe(Number(e.n));
    expect(sumOf(m, "tollgate_errors_total")).toBe(errors.reduce((acc, e) => acc + Number(e.n), 0));

    // Retries, fallbacks, breakers, budgets.
    expect(sumOf(m, "tollgate_retries_total", { route: "retry" })).toBe(1);
    expect(sumOf(m, "tollgate_retries_total", { route: "broken" })).toBe(2);
    expect(sumOf(m, "tollgate_fallbacks_total", { route: "fallback" })).toBe(5);
    expect(sumOf(m, "tollgate_fallbacks_total", { route: "ok" })).toBe(0);
    expect(sumOf(m, "tollgate_circuit_breaker_state", { provider: "down", model: "sim+500" })).toBe(2);
    expect(sumOf(m, "tollgate_circuit_breaker_state", { provider: "sim", model: "sim-a" })).toBe(0);
    expect(sumOf(m, "tollgate_budget_rejections_total", { scope: "tag", code: "budget_exceeded" })).toBe(1);
    expect(sumOf(m, "tollgate_active_requests")).toBe(0);
    expect(sumOf(m, "tollgate_active_streams")).toBe(0);
    expect(sumOf(m, "tollgate_ttft_seconds_count")).toBe(18);

    // Bounded labels: nothing the client chose (model names, tags) became a label value.
    expect(res.text).not.toContain("no-such-model-for-metrics");
    expect(res.text).not.toContain("capped");
    const routes = new Set(m.samples.map((s) => s.labels.route).filter((r) => r !== undefined));
    expect([...routes].sort()).toEqual(["broken", "fallback", "none", "ok", "retry"]);

    // Every family is documented.
    const doc = readFileSync(new URL("../../docs/observability.md", import.meta.url), "utf8");
    for (const family of m.types.keys()) expect(doc, `docs/observability.md lists ${family}`).toContain(`\`${family}\``);
  });

  test("two gateways in one process keep their own counters; library mode reads them with gateway.metrics()", async () => {
    const a = createGateway({ config: { ...config(), database: { url: "sqlite::memory:" } }, logger: false, env: {} });
    const b = createGateway({ config: { ...config(), database: { url: "sqlite::memory:" } }, logger: false, env: {} });
    try {
      await Promise.all([a.ready, b.ready]);
      const gw = await startGateway(config());
      gateways.push(gw);
      expect((await postSse(`${gw.baseURL}/chat/completions`, { model: "ok", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
      for (const g of [a, b]) {
        const m = parsePrometheusText(await g.metrics());
        expect(m.types.get("tollgate_requests_total")).toBe("counter");
        expect(sumOf(m, "tollgate_requests_total")).toBe(0);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("auth admin needs the admin key; disabled metrics are a 404", async () => {
    const locked = await startGateway({ ...config(), admin: { keys: ["env:ADMIN"] }, observability: { metrics: { auth: "admin" } } }, { env: { ADMIN: "admin-key-for-metrics" } });
    const off = await startGateway({ ...config(), observability: { metrics: { enabled: false } } });
    gateways.push(locked, off);
    const missing = await scrape(locked.url);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text).error.code).toBe("missing_api_key");
    expect((await scrape(locked.url, { authorization: "Bearer wrong-key" })).status).toBe(401);
    const ok = await scrape(locked.url, { authorization: "Bearer admin-key-for-metrics" });
    expect(ok.status).toBe(200);
    expect(parsePrometheusText(ok.text).types.has("tollgate_requests_total")).toBe(true);
    expect((await scrape(off.url)).status).toBe(404);
    await expect(off.gateway.metrics()).rejects.toThrow(/disabled/);
  });
});
