import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { GatewayError } from "../errors/gateway-error.js";
import { renderError } from "../errors/render.js";
import { insertRecords } from "../ledger/insert-records.js";
import { expectNear } from "../ledger/test-support/percentiles.js";
import { makeRecord } from "../ledger/test-support/records.js";
import { getPerformance } from "./performance.js";
import { getRequest, listRequests } from "./requests.js";
import { getSummary } from "./summary.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";
import type { AdminHandler, AdminInput } from "./types.js";

// The dashboard's admin endpoints: their JSON shape (money as nano-dollars and USD strings,
// ISO times) and their 400s for bad parameters. The SQL itself is tested on both
// dialects in src/ledger/dashboard-queries.test.ts.

const NOW = Date.parse("2026-11-21T12:30:00Z");
let services: TestServices;

beforeEach(async () => {
  services = await testServices();
  await insertRecords(services.sql, [
    makeRecord(1, { startedAt: NOW - 60_000, costNanos: 1_234_567, latencyMs: 200, ttftMs: 40 }),
    makeRecord(2, { startedAt: NOW - 30_000, status: 502, outcome: "failed", errorCode: "upstream_error", latencyMs: 100 }),
  ]);
});
afterEach(() => services.close());

const call = async (handler: AdminHandler, input: Partial<AdminInput> = {}) =>
  // biome-ignore lint/suspicious/noExplicitAny: the tests read deep into JSON bodies of many shapes
  (await handler({ params: {}, query: {}, body: undefined, services, principal: OWNER, now: NOW, ...input })).body as Record<string, any>;

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => expect.fail("expected the handler to throw"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return renderError(err);
}

describe("GET /admin/summary", () => {
  test("totals over the last 24 hours by default", async () => {
    expect(await call(getSummary)).toEqual({
      object: "summary",
      from: "2026-11-20T12:30:00.000Z",
      to: "2026-11-21T12:30:00.000Z",
      requests: 2,
      errors: 1,
      error_rate: 0.5,
      input_tokens: 20,
      output_tokens: 10,
      cost_nanos: 1_239_067,
      cost_usd: "0.001239",
      saved_nanos: 0,
      saved_usd: "0.000000",
      cache_hits: 0,
      tag_names: ["env"],
    });
  });

  test("a range that ends before it starts, or an unknown parameter, is a 400", async () => {
    expect((await failure(call(getSummary, { query: { from: "2026-11-22", to: "2026-11-21" } }))).body.error).toMatchObject({ code: "invalid_request", param: "from" });
    expect((await failure(call(getSummary, { query: { granularity: "hour" } }))).body.error).toMatchObject({ code: "invalid_request", param: "granularity" });
  });
});

describe("GET /admin/performance", () => {
  test("percentiles per route with an hourly series, and provider rates", async () => {
    const body = await call(getPerformance, { query: { granularity: "hour" } });
    expect(body.percentile_relative_error).toBe(0.0488);
    expect(body.groups).toMatchObject([{ group: "chat", requests: 2, errors: 1, error_rate: 0.5 }]);
    expect(body.series).toMatchObject([{ bucket: "2026-11-21T12:00:00.000Z", requests: 2 }]);
    for (const row of [body.groups[0], body.series[0]]) {
      expectNear(row.latency_ms, { p50: 100, p90: 200, p99: 200 });
      expectNear(row.ttft_ms, { p50: 40, p90: 46, p99: 46 });
    }
    expect(body.providers).toEqual([{ provider: "openai", attempts: 2, errors: 0, retries: 0, fallbacks: 0, error_rate: 0, retry_rate: 0, fallback_rate: 0 }]);
  });

  test("bad group or too many buckets is a 400", async () => {
    expect((await failure(call(getPerformance, { query: { group_by: "user" } }))).body.error).toMatchObject({ param: "group_by" });
    expect((await failure(call(getPerformance, { query: { from: "2000-01-01", granularity: "hour" } }))).body.error).toMatchObject({ param: "granularity" });
  });
});

describe("GET /admin/requests", () => {
  test("newest first with money and times formatted; errors=true keeps failures", async () => {
    const list = await call(listRequests);
    expect(list.data.map((r: { id: string }) => r.id)).toEqual(["req_000002", "req_000001"]);
    expect(list.data[1]).toMatchObject({
      object: "request",
      started_at: "2026-11-21T12:29:00.000Z",
      key: { id: "key_a", name: null, prefix: null },
      tags: { env: "prod" },
      stream: true,
      cost_nanos: 1_234_567,
      cost_usd: "0.001235",
      saved_usd: "0.000000",
      cache_hit: false,
      cache_kind: null,
      latency_ms: 200,
      ttft_ms: 40,
    });
    expect((await call(listRequests, { query: { errors: "true", limit: "1" } })).data.map((r: { id: string }) => r.id)).toEqual(["req_000002"]);
  });

  test("a limit out of bounds is a 400", async () => {
    for (const limit of ["0", "201", "ten"]) expect((await failure(call(listRequests, { query: { limit } }))).body.error).toMatchObject({ param: "limit" });
  });

  test("one request with its attempts; an unknown id is a 404", async () => {
    const detail = await call(getRequest, { params: { id: "req_000001" } });
    expect(detail.attempt_list).toEqual([
      expect.objectContaining({ attempt: 1, provider: "openai", model: "gpt-4o-mini", status: "ok", duration_ms: 120, ttft_ms: 41, cost_nanos: 4500, cost_usd: "0.000005" }),
    ]);
    const missing = await failure(call(getRequest, { params: { id: "req_nope" } }));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("request_not_found");
  });
});
