import type { Sql } from "../store/sql.js";
import { addCount, bucketSql, type Histogram, histogramPercentiles, type Percentiles } from "./latency-histogram.js";
import type { LatencyDim } from "./latency-rollups.js";
import { groupValue, HOUR_MS, type RollupPart, splitRangeBothWays } from "./rollups.js";

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

/** Raw rows counted by group, time bucket (0 without a series), latency bucket, TTFT bucket (null: none) and error: one pass, each value bucketed once. */
interface RawRow {
  grp: string;
  t: number;
  lb: number | null;
  tb: number | null;
  err: number;
  n: number;
}

/** One key's histogram of one metric, packed in SQL as 'bucket:n,bucket:n,…' (a bucket may repeat: its counts add up). */
interface PackedRow {
  key: string | number;
  metric: string;
  h: string;
}

const rawSelect = (group: string, time: string) =>
  `SELECT ${group} AS grp, ${time} AS t, ${bucketSql("latency_ms")} AS lb, ${bucketSql("ttft_ms")} AS tb, CASE WHEN status >= 400 THEN 1 ELSE 0 END AS err, COUNT(*) AS n
     FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 GROUP BY 1, 2, 3, 4, 5`;

/**
 * Rollup rows of `part` by `key` and metric, each histogram one string: a month of hours is
 * a few thousand short rows instead of tens of thousands, which the driver turns into objects
 * one by one.
 */
const packedSelect = (part: RollupPart, key: string, dim: string) =>
  `SELECT ${key} AS key, metric, string_agg(bucket || ':' || n, ',') AS h FROM ${part.table} WHERE dim = ${dim} AND ${part.where} GROUP BY ${key}, metric`;

/** Histograms per key and metric, added up from every part of a split range. */
class Tally {
  private readonly byKey = new Map<string | number, Map<string, Histogram>>();

  addPacked(rows: PackedRow[]): void {
    for (const r of rows) {
      const h = this.histogram(r.key, r.metric);
      for (const pair of r.h.split(",")) {
        const colon = pair.indexOf(":");
        addCount(h, Number(pair.slice(0, colon)), Number(pair.slice(colon + 1)));
      }
    }
  }

  addRaw(key: string | number, r: RawRow): void {
    addCount(this.histogram(key, "requests"), 0, r.n);
    if (r.err) addCount(this.histogram(key, "errors"), 0, r.n);
    if (r.lb !== null) addCount(this.histogram(key, "latency"), r.lb, r.n);
    if (r.tb !== null) addCount(this.histogram(key, "ttft"), r.tb, r.n);
  }

  private histogram(key: string | number, metric: string): Histogram {
    let metrics = this.byKey.get(key);
    if (!metrics) this.byKey.set(key, (metrics = new Map()));
    let h = metrics.get(metric);
    if (!h) metrics.set(metric, (h = new Map()));
    return h;
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
  // Totals read whole days wherever they can; an hourly series needs the hours themselves.
  const { byDay: split, byHour } = await splitRangeBothWays(sql, query.from, query.to, "latency");
  const seriesSplit = bucketMs === undefined || bucketMs % 86_400_000 === 0 ? split : byHour;
  const groups = new Tally();
  const points = new Tally();
  // An integer literal, so the same expression appears in SELECT and GROUP BY.
  const timeBucket = (column: string) => `${column} - (${column} % ${Math.trunc(bucketMs ?? HOUR_MS)})`;

  // Both splits have the same edges: each raw row is read once, for its group and its bucket.
  // One query at a time: a pool's other connections would start cold (plan and catalog caches).
  for (const edge of split.edges) {
    const rows = await sql.query<RawRow>(rawSelect(`COALESCE('=' || ${query.groupBy}, '')`, bucketMs === undefined ? "0" : timeBucket("started_at")), [edge.from, edge.to]);
    for (const r of rows) {
      groups.addRaw(r.grp, r);
      if (bucketMs !== undefined) points.addRaw(r.t, r);
    }
  }
  for (const part of split.rollups) groups.addPacked(await sql.query<PackedRow>(packedSelect(part, "grp", "$1"), [query.groupBy]));
  if (bucketMs !== undefined) {
    for (const part of seriesSplit.rollups) points.addPacked(await sql.query<PackedRow>(packedSelect(part, timeBucket(part.column), "'all'")));
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
