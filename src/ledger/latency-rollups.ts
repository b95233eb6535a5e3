import type { Sql } from "../store/sql.js";
import { type HourlyRollups, type RefreshOptions, refreshHours } from "./hour-refresh.js";
import { bucketSql } from "./latency-histogram.js";

/** The request columns `/admin/performance` groups by; `all` is every request. */
export type LatencyDim = "all" | "route" | "model" | "provider";

const grp = (column: string) => `COALESCE('=' || r.${column}, '')`;
const GROUP_OF: Record<LatencyDim, string> = { all: "''", route: grp("route"), model: grp("model"), provider: grp("provider") };

/**
 * The histogram rows of the requests started in [$1, $2): per dimension of `dims`, time `t`
 * (an SQL expression), group, metric and bucket, a count. One pass over the rows: each is
 * counted once per dimension and metric it belongs to.
 */
function histogramSelect(dims: readonly LatencyDim[], t: string): string {
  const dimRows = dims.map((d) => `SELECT '${d}' AS dim`).join(" UNION ALL ");
  const metrics = ["latency", "ttft", "requests", "errors"].map((m) => `SELECT '${m}' AS metric`).join(" UNION ALL ");
  return `SELECT d.dim AS dim, ${t} AS t, CASE d.dim ${dims.map((dim) => `WHEN '${dim}' THEN ${GROUP_OF[dim]}`).join(" ")} END AS grp, m.metric AS metric,
            CASE m.metric WHEN 'latency' THEN ${bucketSql("r.latency_ms")} WHEN 'ttft' THEN ${bucketSql("r.ttft_ms")} ELSE 0 END AS bucket, COUNT(*) AS n
       FROM tollgate_ledger_requests r CROSS JOIN (${dimRows}) d CROSS JOIN (${metrics}) m
      WHERE r.started_at >= $1 AND r.started_at < $2
        AND (m.metric = 'requests' OR (m.metric = 'latency' AND r.latency_ms IS NOT NULL) OR (m.metric = 'ttft' AND r.ttft_ms IS NOT NULL) OR (m.metric = 'errors' AND r.status >= 400))
      GROUP BY 1, 2, 3, 4, 5`;
}

/** The latency histograms as the refresh computes them (hour-refresh.ts). */
const LATENCY: HourlyRollups = {
  dirtyTable: "tollgate_latency_dirty",
  hourlyTable: "tollgate_latency_hourly",
  dailyTable: "tollgate_latency_daily",
  columns: ["dim", "hour", "grp", "metric", "bucket", "n"],
  hourSelect: () => `SELECT dim, t, grp, metric, bucket, n FROM (${histogramSelect(["all", "route", "model", "provider"], "CAST($1 AS BIGINT)")}) h`,
  daySelect: (day, hours) => `SELECT dim, ${day}, grp, metric, bucket, SUM(n) FROM ${hours} GROUP BY dim, grp, metric, bucket`,
};

/**
 * Recomputes the latency histograms of up to `limit` hours marked since they were last
 * computed, oldest first: the hour from raw rows, then its day from the day's hours. Each
 * hour is claimed before it is computed, so instances running this at once share the work.
 * Hours before `rawCutoff` lost their raw rows to retention: their histograms stay as they
 * were. Hours from `before` on wait (see LedgerMaintenance). On SQLite the raw rows are read
 * off the event loop (hour-refresh.ts). Returns the hours refreshed.
 */
export function refreshLatencyRollups(sql: Sql, limit: number, rawCutoff?: number, before = Number.MAX_SAFE_INTEGER, options?: RefreshOptions): Promise<number> {
  return refreshHours(sql, LATENCY, limit, rawCutoff, before, options);
}
