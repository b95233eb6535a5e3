import type { Sql } from "../store/sql.js";

export type LatencyGroupBy = "route" | "model" | "provider";

interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

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

const GROUP_COLUMNS: Record<LatencyGroupBy, string> = { route: "route", model: "model", provider: "provider" };
const RANGE = "FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2";
const LEVELS = [50, 90, 99] as const;
const NONE: Percentiles = { p50: null, p90: null, p99: null };

/**
 * Exact nearest-rank percentiles per partition, computed in the database: rows are ranked
 * within their partition by a window function (SQLite ≥ 3.25 and Postgres both have them;
 * neither dialect shares a percentile function), and only the rows at rank ⌈p·n⌉ come back,
 * three per partition, whatever the number of requests. ⌈p·n⌉ is integer arithmetic.
 */
async function percentiles(sql: Sql, partition: string, column: "latency_ms" | "ttft_ms", params: unknown[]): Promise<Map<string | number | null, Percentiles>> {
  const ranks = LEVELS.map((p) => `rn = (n * ${p} + 99) / 100`).join(" OR ");
  const rows = await sql.query<{ part: string | number | null; n: number; rn: number; v: number }>(
    `SELECT part, n, rn, v FROM (
       SELECT ${partition} AS part, ${column} AS v,
              ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${column}) AS rn,
              COUNT(*) OVER (PARTITION BY ${partition}) AS n
       ${RANGE} AND ${column} IS NOT NULL
     ) ranked WHERE ${ranks}`,
    params,
  );
  const out = new Map<string | number | null, Percentiles>();
  for (const row of rows) {
    const entry = out.get(row.part) ?? { ...NONE };
    // One row can sit at several ranks (n = 1 puts p50, p90 and p99 on the same row).
    for (const p of LEVELS) if (row.rn === Math.floor((row.n * p + 99) / 100)) entry[`p${p}`] = row.v;
    out.set(row.part, entry);
  }
  return out;
}

const compareGroups = (a: LatencyGroup, b: LatencyGroup) => b.requests - a.requests || (a.group === b.group ? 0 : a.group === null ? 1 : b.group === null ? -1 : a.group < b.group ? -1 : 1);

/** Latency and TTFT percentiles per route, model or provider over [from, to), and over time when `bucketMs` is given. */
export async function queryLatency(sql: Sql, query: { groupBy: LatencyGroupBy; from: number; to: number; bucketMs?: number }): Promise<LatencyReport> {
  const params = [query.from, query.to];
  const group = GROUP_COLUMNS[query.groupBy];
  const counts = await sql.query<{ grp: string | null; requests: number; errors: number }>(
    `SELECT ${group} AS grp, COUNT(*) AS requests, COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS errors ${RANGE} GROUP BY ${group}`,
    params,
  );
  const latency = await percentiles(sql, group, "latency_ms", params);
  const ttft = await percentiles(sql, group, "ttft_ms", params);
  const groups = counts.map((c) => ({ group: c.grp, requests: c.requests, errors: c.errors, latency: latency.get(c.grp) ?? NONE, ttft: ttft.get(c.grp) ?? NONE })).sort(compareGroups);

  let series: LatencyPoint[] = [];
  if (query.bucketMs !== undefined) {
    // An integer literal, so the same expression appears in SELECT and GROUP BY.
    const bucket = `started_at - (started_at % ${Math.trunc(query.bucketMs)})`;
    const perBucket = await sql.query<{ bucket: number; requests: number }>(`SELECT ${bucket} AS bucket, COUNT(*) AS requests ${RANGE} GROUP BY ${bucket}`, params);
    const bucketLatency = await percentiles(sql, bucket, "latency_ms", params);
    const bucketTtft = await percentiles(sql, bucket, "ttft_ms", params);
    series = perBucket
      .map((b) => ({ bucket: b.bucket, requests: b.requests, latency: bucketLatency.get(b.bucket) ?? NONE, ttft: bucketTtft.get(b.bucket) ?? NONE }))
      .sort((a, b) => a.bucket - b.bucket);
  }
  return { groups, series };
}
