import type { Sql } from "../store/sql.js";
import { bucketSql } from "./latency-histogram.js";
import { HOUR_MS, lockDay } from "./rollups.js";

const DAY_MS = 86_400_000;

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

/** Takes the oldest marked hour no other instance is computing (PostgreSQL skips the ones locked), or none. */
const CLAIM = {
  postgres: "DELETE FROM tollgate_latency_dirty WHERE hour = (SELECT hour FROM tollgate_latency_dirty WHERE hour < $1 ORDER BY hour LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING hour",
  sqlite: "DELETE FROM tollgate_latency_dirty WHERE hour = (SELECT hour FROM tollgate_latency_dirty WHERE hour < $1 ORDER BY hour LIMIT 1) RETURNING hour",
};

/**
 * Recomputes the latency histograms of up to `limit` hours marked since they were last
 * computed, oldest first, one transaction per hour: the hour from raw rows, then its day
 * from the day's hours. Each hour is claimed in its transaction, so instances running this
 * at once share the work. Hours before `rawCutoff` lost their raw rows to retention: their
 * histograms stay as they were. Hours from `before` on wait (see LedgerMaintenance). Returns the
 * hours refreshed.
 */
export async function refreshLatencyRollups(sql: Sql, limit: number, rawCutoff?: number, before = Number.MAX_SAFE_INTEGER): Promise<number> {
  let done = 0;
  while (done < limit) {
    const claimed = await sql.transaction(async (tx) => {
      // Unmarked first: a row written meanwhile marks the hour again, and it is recomputed next time.
      const [row] = await tx.query<{ hour: number }>(CLAIM[tx.dialect], [before]);
      if (!row) return false;
      const { hour } = row;
      if (rawCutoff !== undefined && hour < rawCutoff) return true;
      await tx.query("DELETE FROM tollgate_latency_hourly WHERE hour = $1", [hour]);
      await tx.query(
        `INSERT INTO tollgate_latency_hourly (dim, hour, grp, metric, bucket, n)
         SELECT dim, t, grp, metric, bucket, n FROM (${histogramSelect(["all", "route", "model", "provider"], "CAST($1 AS BIGINT)")}) h`,
        [hour, hour + HOUR_MS],
      );
      const day = hour - (hour % DAY_MS);
      await lockDay(tx, "tollgate_latency_daily", day);
      await tx.query("DELETE FROM tollgate_latency_daily WHERE day = $1", [day]);
      await tx.query(
        `INSERT INTO tollgate_latency_daily (dim, day, grp, metric, bucket, n)
         SELECT dim, $1, grp, metric, bucket, SUM(n) FROM tollgate_latency_hourly WHERE hour >= $1 AND hour < $2 GROUP BY dim, grp, metric, bucket`,
        [day, day + DAY_MS],
      );
      return true;
    });
    if (!claimed) break;
    done++;
  }
  return done;
}
