import type { Sql } from "../../store/sql.js";
import { bucketSql, type Percentiles } from "../latency-histogram.js";
import type { LatencyGroupBy, LatencyReport } from "../latency-query.js";
import { groupValue, HOUR_MS, splitRange } from "../rollups.js";

// The histogram arithmetic of that release, unchanged, so that the comparison covers it too.
const RATIO = 1.1;
const LAST = 160;
type Histogram = Map<number, number>;

function addCount(h: Histogram, bucket: number, n: number): void {
  h.set(bucket, (h.get(bucket) ?? 0) + n);
}

function bucketRange(i: number): [number, number] {
  if (i <= 0) return [0, 0];
  const low = Math.ceil(RATIO ** (i - 1));
  if (i >= LAST) return [low, low];
  return [low, Math.max(low, Math.ceil(RATIO ** i) - 1)];
}

function estimate(i: number): number {
  const [low, high] = bucketRange(i);
  return Math.round(Math.sqrt(low * high) * 10) / 10;
}

export function histogramPercentilesAsBefore(h: Histogram | undefined): Percentiles {
  const out: Percentiles = { p50: null, p90: null, p99: null };
  if (!h) return out;
  const buckets = [...h.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return out;
  for (const p of [50, 90, 99] as const) {
    const rank = Math.floor((total * p + 99) / 100);
    let seen = 0;
    for (const [bucket, n] of buckets) {
      seen += n;
      if (seen >= rank) {
        out[`p${p}`] = estimate(bucket);
        break;
      }
    }
  }
  return out;
}

/** One histogram row: `key` is the group ('' or '=value') or the time bucket. */
interface Row {
  key: string | number;
  metric: string;
  bucket: number;
  n: number;
}

/** Raw rows counted by key, latency bucket, TTFT bucket (null: none) and error: one pass, each value bucketed once. */
interface RawRow {
  key: string | number;
  lb: number | null;
  tb: number | null;
  err: number;
  n: number;
}

const rawSelect = (key: string) =>
  `SELECT ${key} AS key, ${bucketSql("latency_ms")} AS lb, ${bucketSql("ttft_ms")} AS tb, CASE WHEN status >= 400 THEN 1 ELSE 0 END AS err, COUNT(*) AS n
     FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 GROUP BY 1, 2, 3, 4`;

/** Histograms per key and metric, added up from every part of a split range. */
class Tally {
  private readonly byKey = new Map<string | number, Map<string, Histogram>>();

  add(rows: Row[]): void {
    for (const r of rows) this.count(r.key, r.metric, r.bucket, r.n);
  }

  addRaw(rows: RawRow[]): void {
    for (const r of rows) {
      this.count(r.key, "requests", 0, r.n);
      if (r.err) this.count(r.key, "errors", 0, r.n);
      if (r.lb !== null) this.count(r.key, "latency", r.lb, r.n);
      if (r.tb !== null) this.count(r.key, "ttft", r.tb, r.n);
    }
  }

  private count(key: string | number, metric: string, bucket: number, n: number): void {
    let metrics = this.byKey.get(key);
    if (!metrics) this.byKey.set(key, (metrics = new Map()));
    let h = metrics.get(metric);
    if (!h) metrics.set(metric, (h = new Map()));
    addCount(h, bucket, n);
  }

  entries() {
    return [...this.byKey.entries()].map(([key, metrics]) => ({
      key,
      requests: metrics.get("requests")?.get(0) ?? 0,
      errors: metrics.get("errors")?.get(0) ?? 0,
      latency: histogramPercentilesAsBefore(metrics.get("latency")),
      ttft: histogramPercentilesAsBefore(metrics.get("ttft")),
    }));
  }
}

const compareGroups = (a: LatencyReport["groups"][number], b: LatencyReport["groups"][number]) =>
  b.requests - a.requests || (a.group === b.group ? 0 : a.group === null ? 1 : b.group === null ? -1 : a.group < b.group ? -1 : 1);

/**
 * queryLatency as it was before the histograms were read packed and the raw partial hours
 * once (issue 18): the reference the current one must match report for report.
 */
export async function queryLatencyAsBefore(sql: Sql, query: { groupBy: LatencyGroupBy; from: number; to: number; bucketMs?: number }): Promise<LatencyReport> {
  const { bucketMs } = query;
  // Totals read whole days wherever they can; an hourly series needs the hours themselves.
  const split = await splitRange(sql, query.from, query.to, { family: "latency" });
  const seriesSplit = bucketMs === undefined || bucketMs % 86_400_000 === 0 ? split : await splitRange(sql, query.from, query.to, { family: "latency", days: false });
  const groups = new Tally();
  const points = new Tally();
  // An integer literal, so the same expression appears in SELECT and GROUP BY.
  const timeBucket = (column: string) => `${column} - (${column} % ${Math.trunc(bucketMs ?? HOUR_MS)})`;

  for (const edge of split.edges) {
    groups.addRaw(await sql.query<RawRow>(rawSelect(`COALESCE('=' || ${query.groupBy}, '')`), [edge.from, edge.to]));
  }
  for (const part of split.rollups) {
    groups.add(await sql.query<Row>(`SELECT grp AS key, metric, bucket, SUM(n) AS n FROM ${part.table} WHERE dim = $1 AND ${part.where} GROUP BY grp, metric, bucket`, [query.groupBy]));
  }
  if (bucketMs !== undefined) {
    for (const edge of seriesSplit.edges) points.addRaw(await sql.query<RawRow>(rawSelect(timeBucket("started_at")), [edge.from, edge.to]));
    for (const part of seriesSplit.rollups) {
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
