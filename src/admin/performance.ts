import { z } from "zod";
import { PERCENTILE_RELATIVE_ERROR } from "../ledger/latency-histogram.js";
import { queryLatency } from "../ledger/latency-query.js";
import { queryProviderHealth } from "../ledger/provider-health-query.js";
import { BUCKET_MS, checkBuckets, granularityField, parseRange, rangeFields } from "./range.js";
import { iso } from "./time.js";
import type { AdminHandler } from "./types.js";
import { parseWith } from "./validate.js";

const performanceQuery = z.strictObject({
  group_by: z.enum(["route", "model", "provider"]).default("route"),
  ...rangeFields,
  granularity: granularityField,
});

const rate = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/**
 * GET /admin/performance?group_by=route|model|provider&from&to&granularity=hour|day:
 * latency and TTFT percentiles (ms) per group and over time, and error, retry and fallback
 * rates per provider from the attempts. Percentiles are nearest-rank values read from per-hour
 * histograms, within `percentile_relative_error` of the exact ones (docs/accounting.md); counts
 * are exact. Org-wide callers only (access ORG_READ), so the rollups, which sum everyone's, always answer.
 */
export const getPerformance: AdminHandler = async ({ query, services, now = Date.now() }) => {
  const q = parseWith(performanceQuery, query, "query");
  const range = parseRange(q, now);
  checkBuckets(range, q.granularity);
  const sql = await services.store();
  const latency = await queryLatency(sql, { groupBy: q.group_by, ...range, ...(q.granularity ? { bucketMs: BUCKET_MS[q.granularity] } : {}) });
  const providers = await queryProviderHealth(sql, range.from, range.to);
  return {
    status: 200,
    body: {
      object: "performance",
      group_by: q.group_by,
      from: iso(range.from),
      to: iso(range.to),
      granularity: q.granularity ?? null,
      percentile_relative_error: Math.round(PERCENTILE_RELATIVE_ERROR * 10_000) / 10_000,
      groups: latency.groups.map((g) => ({ group: g.group, requests: g.requests, errors: g.errors, error_rate: rate(g.errors, g.requests), latency_ms: g.latency, ttft_ms: g.ttft })),
      series: latency.series.map((p) => ({ bucket: iso(p.bucket), requests: p.requests, latency_ms: p.latency, ttft_ms: p.ttft })),
      providers: providers.map((p) => ({
        ...p,
        error_rate: rate(p.errors, p.attempts),
        retry_rate: rate(p.retries, p.attempts),
        fallback_rate: rate(p.fallbacks, p.attempts),
      })),
    },
  };
};
