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

/** Raw rows counted by group (the column's value), time bucket (0 without a series), latency bucket, TTFT bucket (null: none) and error. */
interface RawRow {
  grp: string | null;
  t: number;
  lb: number | null;
  tb: number | null;
  err: number;
  n: number;
}

/** One histogram of a group (part 0: '' or '=value') or of a time bucket (part 1), packed as 'bucket,n,bucket,n,…' (a bucket may repeat: its counts add up). */
interface PackedRow {
  part: number;
  key: string;
  metric: string;
  h: string;
}

type Ranges = readonly { from: number; to: number }[];

/** Every raw row of `edges` counted once, for its group and its time bucket: one pass, each value bucketed once. */
const rawSelect = (group: string, time: string, edges: Ranges) =>
  `SELECT ${group} AS grp, ${time} AS t, ${bucketSql("latency_ms")} AS lb, ${bucketSql("ttft_ms")} AS tb, CASE WHEN status >= 400 THEN 1 ELSE 0 END AS err, COUNT(*) AS n
     FROM tollgate_ledger_requests WHERE ${edges.map((_, i) => `(started_at >= $${2 * i + 1} AND started_at < $${2 * i + 2})`).join(" OR ")} GROUP BY 1, 2, 3, 4, 5`;

/**
 * The histograms of rollup `part` by `key` and metric, each one string: a month of hours is a
 * few thousand short rows instead of tens of thousands, which the driver makes objects of one by one.
 */
const packedSelect = (tag: number, part: RollupPart, key: string, dim: string) =>
  `SELECT ${tag} AS part, CAST(${key} AS TEXT) AS key, metric, string_agg(bucket || ',' || n, ',') AS h FROM ${part.table} WHERE dim = '${dim}' AND ${part.where} GROUP BY ${key}, metric`;

/** Histograms per key and metric, added up from every part of a split range. */
class Tally {
  private readonly byKey = new Map<string | number, Map<string, Histogram>>();

  addPacked(key: string | number, metric: string, packed: string): void {
    const h = this.histogram(key, metric);
    const values = packed.split(",");
    for (let i = 0; i < values.length; i += 2) addCount(h, Number(values[i]), Number(values[i + 1]));
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

  // One statement for the raw rows and one for the rollups, on one connection, one after the
  // other: fewer round trips, and a pool's other connections would start cold (plan and catalog caches).
  if (split.edges.length > 0) {
    // Both splits have the same edges.
    for (const r of await sql.query<RawRow>(
      rawSelect(query.groupBy, bucketMs === undefined ? "0" : timeBucket("started_at"), split.edges),
      split.edges.flatMap((e) => [e.from, e.to]),
    )) {
      groups.addRaw(r.grp === null ? "" : `=${r.grp}`, r);
      if (bucketMs !== undefined) points.addRaw(Number(r.t), r);
    }
  }
  const parts = [
    ...split.rollups.map((part) => packedSelect(0, part, "grp", query.groupBy)),
    ...(bucketMs === undefined ? [] : seriesSplit.rollups.map((part) => packedSelect(1, part, timeBucket(part.column), "all"))),
  ];
  if (parts.length > 0) {
    for (const r of await sql.query<PackedRow>(parts.join("\nUNION ALL "))) {
      if (Number(r.part) === 0) groups.addPacked(r.key, r.metric, r.h);
      else points.addPacked(Number(r.key), r.metric, r.h);
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
