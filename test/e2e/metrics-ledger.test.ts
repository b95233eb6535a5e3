import { internalsOf } from "../../src/gateway.js";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import type { ConfigInput } from "../../src/config/schema.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { createFakeUpstream, waitFor, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { parsePrometheusText, sumOf, type Exposition } from "../support/prometheus-text.js";
import { textAnswer, toolCallAnswer, toolMessages } from "../support/tool-answers.js";

// Metrics that tell the truth: after a mixed load of tool loops, structured-output repairs,
// cache hits, idempotent replays, retries and fallbacks, every counter equals what the
// ledger says, each derived from the ledger's own rows. A tool loop's later steps and a
// repair are steps (tollgate_steps_total), never retries.

const sim = { type: "simulator", ttftMs: 0, tokensPerSecond: 100_000, answerTokens: 8 } as const;
let upstream: FakeUpstream;
let gw: TestGateway;
let retryCalls = 0;

const lookup = defineTool({ description: "Look up a stock level", schema: z.object({ sku: z.string() }), run: async ({ sku }) => ({ sku, units: 3 }) });

/** Answers by the model the gateway asked for: each plays one part of the load. */
function answer(body: unknown): Exclude<UpstreamScript, { kind: "reply" }> {
  const sent = body as { model: string; messages: unknown[] };
  const inner = (script: UpstreamScript) => (script.kind === "reply" ? script.answer(body) : script);
  switch (sent.model) {
    case "m-loop":
      return inner(toolMessages(body).length > 0 ? textAnswer("Three units.") : toolCallAnswer([{ name: "lookup", args: { sku: "SKU-1" } }]));
    case "m-repair":
      // The first answer is not JSON; the repair turn gets a valid object.
      return inner(textAnswer(sent.messages.length > 1 ? '{"answer":"ok"}' : "not json at all"));
    case "m-retry":
      return ++retryCalls % 2 === 1 ? { kind: "json", status: 503, body: { error: { message: "overloaded", type: "server_error" } } } : inner(textAnswer("Fine."));
    default:
      return { kind: "json", status: 500, body: { error: { message: "down", type: "server_error" } } };
  }
}

function config(): ConfigInput {
  const quick = { retry: { maxRetries: 0 } };
  return {
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-metrics-ledger-0123456789" }, sim },
    prices: { "m-loop": { input: 1, output: 2 }, "m-repair": { input: 1, output: 2 }, "m-retry": { input: 1, output: 2 }, "sim-a": { input: 1.25, output: 10 } },
    models: {
      loop: { ...quick, targets: [{ provider: "up", model: "m-loop" }], tools: ["lookup"] },
      repair: { ...quick, structuredOutput: { repairAttempts: 2 }, targets: [{ provider: "up", model: "m-repair" }] },
      cached: { ...quick, cache: { exact: { ttlSeconds: 600 } }, targets: [{ provider: "sim", model: "sim-a" }] },
      replayed: { ...quick, targets: [{ provider: "sim", model: "sim-a" }] },
      retry: { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 }, targets: [{ provider: "up", model: "m-retry" }] },
      fallback: {
        ...quick,
        breaker: { failureThreshold: 1000 },
        targets: [
          { provider: "up", model: "m-down" },
          { provider: "sim", model: "sim-a" },
        ],
      },
    },
  };
}

const FIRST_TARGET: Record<string, string> = { loop: "up/m-loop", repair: "up/m-repair", cached: "sim/sim-a", replayed: "sim/sim-a", retry: "up/m-retry", fallback: "up/m-down" };

beforeAll(async () => {
  upstream = await createFakeUpstream();
  upstream.setDefault({ kind: "reply", answer });
  gw = await startGateway(config(), { tools: { lookup } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function chat(model: string, stream: boolean, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`${gw.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "How many units of SKU-1?" }], ...extra }),
  });
  await res.body.text();
  return res.statusCode;
}

type Row = Record<string, string | number | null>;
const schema = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] } } };

describe("every counter equals the ledger", () => {
  test("after tool loops, repairs, cache hits, replays, retries and fallbacks", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push(await chat("loop", i % 2 === 1));
    for (let i = 0; i < 2; i++) statuses.push(await chat("repair", false, { response_format: schema }));
    for (let i = 0; i < 4; i++) statuses.push(await chat("cached", false));
    for (let i = 0; i < 3; i++) statuses.push(await chat("replayed", i === 2, {}, { "idempotency-key": "metrics-ledger-1" }));
    for (let i = 0; i < 2; i++) statuses.push(await chat("retry", i === 1));
    for (let i = 0; i < 2; i++) statuses.push(await chat("fallback", i === 0));
    expect(
      statuses.every((s) => s === 200),
      String(statuses),
    ).toBe(true);

    const sql = await internalsOf(gw.gateway).services.store();
    await waitFor(async () => Number((await sql.query<{ n: number }>("SELECT count(*) AS n FROM tollgate_ledger_requests"))[0]!.n) === statuses.length, { timeoutMs: 10_000, message: "ledger rows" });
    const m: Exposition = parsePrometheusText(await (await request(`${gw.url}/metrics`)).body.text());
    const total = (rows: Row[], column = "n") => rows.reduce((sum, r) => sum + Number(r[column]), 0);

    // Requests by route and status.
    const byRoute = await sql.query<Row>("SELECT route, status, count(*) AS n FROM tollgate_ledger_requests GROUP BY route, status");
    for (const r of byRoute) expect(sumOf(m, "tollgate_requests_total", { route: String(r.route), status: String(r.status) })).toBe(Number(r.n));
    expect(sumOf(m, "tollgate_requests_total")).toBe(statuses.length);

    // Tokens and cost by route and answering target.
    const usage = await sql.query<Row>(
      "SELECT route, provider, model, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cost_nanos) AS cost FROM tollgate_ledger_requests WHERE usage_source IS NOT NULL GROUP BY route, provider, model",
    );
    for (const u of usage) {
      const where = { route: String(u.route), provider: String(u.provider), model: String(u.model) };
      expect(sumOf(m, "tollgate_tokens_total", { ...where, type: "input" })).toBe(Number(u.input));
      expect(sumOf(m, "tollgate_tokens_total", { ...where, type: "output" })).toBe(Number(u.output));
      expect(sumOf(m, "tollgate_cost_usd_total", where)).toBeCloseTo(Number(u.cost) / 1e9, 12);
    }

    // Attempts by target and status.
    const attempts = await sql.query<Row>("SELECT provider, model, status, count(*) AS n FROM tollgate_ledger_attempts GROUP BY provider, model, status");
    for (const a of attempts) expect(sumOf(m, "tollgate_upstream_attempts_total", { provider: String(a.provider), model: String(a.model), status: String(a.status) })).toBe(Number(a.n));
    expect(sumOf(m, "tollgate_upstream_attempts_total")).toBe(total(attempts));

    // Retries: attempts beyond the first per model call and target; steps: model calls beyond the first.
    const calls = await sql.query<Row>(
      `SELECT r.route AS route, count(*) AS attempts, count(DISTINCT a.step || ' ' || a.provider || '/' || a.model) AS calls, count(DISTINCT a.step) AS steps
         FROM tollgate_ledger_requests r JOIN tollgate_ledger_attempts a ON a.request_id = r.id GROUP BY r.id, r.route`,
    );
    const perRoute = (f: (r: Row) => number) => {
      const out = new Map<string, number>();
      for (const r of calls) out.set(String(r.route), (out.get(String(r.route)) ?? 0) + f(r));
      return out;
    };
    for (const [route, n] of perRoute((r) => Number(r.attempts) - Number(r.calls))) expect(sumOf(m, "tollgate_retries_total", { route }), `retries of ${route}`).toBe(n);
    for (const [route, n] of perRoute((r) => Number(r.steps) - 1)) expect(sumOf(m, "tollgate_steps_total", { route }), `steps of ${route}`).toBe(n);
    // The case: a tool loop's second step is a step, not a retry.
    expect(sumOf(m, "tollgate_retries_total", { route: "loop" })).toBe(0);
    expect(sumOf(m, "tollgate_steps_total", { route: "loop", kind: "tool_loop" })).toBe(3);
    expect(sumOf(m, "tollgate_steps_total", { route: "repair", kind: "repair" })).toBe(2);
    expect(sumOf(m, "tollgate_retries_total", { route: "retry" })).toBe(2);

    // Fallbacks: answered by another target than the route's first.
    const answered = await sql.query<Row>("SELECT route, provider, model, count(*) AS n FROM tollgate_ledger_requests GROUP BY route, provider, model");
    const fallbacks = new Map<string, number>();
    for (const r of answered)
      if (r.provider !== null && `${r.provider}/${r.model}` !== FIRST_TARGET[String(r.route)]) fallbacks.set(String(r.route), (fallbacks.get(String(r.route)) ?? 0) + Number(r.n));
    for (const route of Object.keys(FIRST_TARGET)) expect(sumOf(m, "tollgate_fallbacks_total", { route }), `fallbacks of ${route}`).toBe(fallbacks.get(route) ?? 0);
    expect(fallbacks.get("fallback")).toBe(2);

    // Cache hits and replays, by kind.
    const hits = await sql.query<Row>("SELECT route, cache_kind, count(*) AS n FROM tollgate_ledger_requests WHERE cache_hit = 1 GROUP BY route, cache_kind");
    for (const h of hits) expect(sumOf(m, "tollgate_cache_hits_total", { route: String(h.route), kind: String(h.cache_kind) })).toBe(Number(h.n));
    expect(sumOf(m, "tollgate_cache_hits_total")).toBe(total(hits));
    expect(sumOf(m, "tollgate_cache_hits_total", { kind: "exact" })).toBe(3);
    expect(sumOf(m, "tollgate_cache_hits_total", { kind: "idempotent" })).toBe(2);

    // Server-side tool calls.
    const tools = await sql.query<Row>(
      "SELECT r.route AS route, t.name AS name, t.status AS status, count(*) AS n FROM tollgate_ledger_tool_calls t JOIN tollgate_ledger_requests r ON r.id = t.request_id GROUP BY r.route, t.name, t.status",
    );
    for (const t of tools) expect(sumOf(m, "tollgate_tool_calls_total", { route: String(t.route), tool: String(t.name), status: String(t.status) })).toBe(Number(t.n));
    expect(sumOf(m, "tollgate_tool_calls_total")).toBe(total(tools));
  });
});
