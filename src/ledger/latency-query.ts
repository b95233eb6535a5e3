import type { Sql } from "../store/sql.js";
import { addCount, type Histogram, histogramPercentiles, type Percentiles } from "./latency-histogram.js";
import { histogramSelect, type LatencyDim } from "./latency-rollups.js";
import { groupValue, HOUR_MS, splitRange } from "./rollups.js";

export type LatencyGroupBy = Exclude<LatencyDim, "all">;

interface LatencyGroup {
  group: string | null;
  requests: number;
  /** Requests answered with a status of 400 or more. */
  errors: number;
  latency: Percentiles;
  /** Time to first token, over the requests that have one (streams that produced content). */
  ttft: Percentiles;
}

interface LatencyPoint {
  /** Start of the bucket, epoch ms. */
  bucket: number;
  requests: number;
  latency: Percentiles;
  ttft: Percentiles;
}

export interface LatencyReport {
  /** Most requests first. */
  groups: LatencyGroup[];
  /** By bucket; empty without a bucket size. */
  series: LatencyPoint[];
}

/** One histogram row: `key` is the group ('' or '=value') or the time bucket. */
interface Row {
  key: string | number;
  metric: string;
  bucket: number;
  n: number;
}

/** Histograms per key and metric, added up from every part of a split range. */
class Tally {
  private readonly byKey = new Map<string | number, Map<string, Histogram>>();

  add(rows: Row[]): void {
    for (const r of rows) {
      let metrics = this.byKey.get(r.key);
      if (!metrics) this.byKey.set(r.key, (metrics = new Map()));
      let h = metrics.get(r.metric);
      if (!h) metrics.set(r.metric, (h = new Map()));
      addCount(h, r.bucket, r.n);
    }
  }

  entries() {
    return [...this.byKey.entries()].map(([key, metrics]) => ({
      key,
      requests: metrics.get("requests")?.get(0) ?? 0,
      errors: metrics.get("errors")?.get(0) ?? 0,
      latency: histogramPercentiles(metrics.get("latency")),
      ttft: histogramPercentiles(metrics.get("ttft")),
    }));
  }
}

const compareGroups = (a: LatencyGroup, b: LatencyGroup) => b.requests - a.requests || (a.group === b.group ? 0 : a.group === null ? 1 : b.group === null ? -1 : a.group < b.group ? -1 : 1);

/**
 * Latency and TTFT percentiles per route, model or provider over [from, to), and over time
 * when `bucketMs` (an hour or a day) is given. Percentiles come from log-spaced histograms
 * (latency-histogram.ts: within 4.9 % of the exact nearest-rank value): whole days and hours
 * from the histogram rollups, the partial hours at the ends and hours not yet recomputed
 * from raw rows, bucketed the same way. Request and error counts are exact.
 */
export async function queryLatency(sql: Sql, query: { groupBy: LatencyGroupBy; from: number; to: number; bucketMs?: number }): Promise<LatencyReport> {
  const { bucketMs } = query;
  const split = await splitRange(sql, query.from, query.to, { family: "latency", days: bucketMs === undefined || bucketMs % 86_400_000 === 0 });
  const groups = new Tally();
  const points = new Tally();
  // An integer literal, so the same expression appears in SELECT and GROUP BY.
  const timeBucket = (column: string) => `${column} - (${column} % ${Math.trunc(bucketMs ?? HOUR_MS)})`;

  for (const edge of split.edges) {
    const params = [edge.from, edge.to];
    groups.add(await sql.query<Row>(`SELECT grp AS key, metric, bucket, n FROM (${histogramSelect([query.groupBy], "0")}) h`, params));
    if (bucketMs !== undefined) points.add(await sql.query<Row>(`SELECT t AS key, metric, bucket, n FROM (${histogramSelect(["all"], timeBucket("r.started_at"))}) h`, params));
  }
  for (const part of split.rollups) {
    groups.add(await sql.query<Row>(`SELECT grp AS key, metric, bucket, SUM(n) AS n FROM ${part.table} WHERE dim = $1 AND ${part.where} GROUP BY grp, metric, bucket`, [query.groupBy]));
    if (bucketMs !== undefined) {
      const t = timeBucket(part.column);
      points.add(await sql.query<Row>(`SELECT ${t} AS key, metric, bucket, SUM(n) AS n FROM ${part.table} WHERE dim = 'all' AND ${part.where} GROUP BY ${t}, metric, bucket`));
    }
  }
  return {
    groups: groups
      .entries()
      .map(({ key, ...g }) => ({ group: groupValue(String(key)), ...g }))
      .sort(compareGroups),
    series:
      bucketMs === undefined
        ? []
        : points
            .entries()
            .map(({ key, requests, latency, ttft }) => ({ bucket: Number(key), requests, latency, ttft }))
            .sort((a, b) => a.bucket - b.bucket),
  };
}
