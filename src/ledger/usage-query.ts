import type { Sql } from "../store/sql.js";

export type UsageGroupBy = "key" | "user" | "team" | "model" | "tag" | "route";
export type UsageGranularity = "hour" | "day";

export interface UsageQuery {
  groupBy: UsageGroupBy;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** Adds a time series with buckets of this size (UTC); without it `series` is empty. */
  granularity?: UsageGranularity;
  /** The tag name whose values are the groups; required when groupBy is "tag". */
  tag?: string;
}

export interface UsageTotal {
  /** The key id, user id, team id, model, route or tag value; null for requests without one. */
  group: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
  savedNanos: number;
}

export interface UsagePoint {
  /** Start of the bucket, epoch ms. */
  bucket: number;
  group: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
  savedNanos: number;
}

export interface UsageReport {
  /** Largest cost first. */
  totals: UsageTotal[];
  /** By bucket, then group. */
  series: UsagePoint[];
}

const GROUP_COLUMNS: Record<Exclude<UsageGroupBy, "tag">, string> = { key: "key_id", user: "user_id", team: "team_id", model: "model", route: "route" };
const BUCKET_MS: Record<UsageGranularity, number> = { hour: 3_600_000, day: 86_400_000 };

interface Row {
  grp: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  saved_nanos: number;
}

const compareGroups = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

/**
 * Usage per key, user, team, model, route or tag value over [from, to). Buckets are
 * integer arithmetic on epoch ms (days are UTC days), and rows are ordered here rather
 * than in SQL, so SQLite and Postgres give identical answers.
 */
export async function queryUsage(sql: Sql, query: UsageQuery): Promise<UsageReport> {
  const { groupBy, from, to, granularity } = query;
  let source: string;
  let group: string;
  const params: unknown[] = [from, to];
  if (groupBy === "tag") {
    if (!query.tag) throw new Error('queryUsage: groupBy "tag" needs the tag name');
    params.push(query.tag);
    // The tag table carries the request's figures, so no join is needed.
    source = "tollgate_ledger_tags WHERE started_at >= $1 AND started_at < $2 AND name = $3";
    group = "value";
  } else {
    source = "tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2";
    group = GROUP_COLUMNS[groupBy];
  }
  const sums =
    "COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_nanos), 0) AS cost_nanos, COALESCE(SUM(saved_nanos), 0) AS saved_nanos";

  const totals = (await sql.query<Row>(`SELECT ${group} AS grp, ${sums} FROM ${source} GROUP BY ${group}`, params))
    .map((r) => ({ group: r.grp, requests: r.requests, inputTokens: r.input_tokens, outputTokens: r.output_tokens, costNanos: r.cost_nanos, savedNanos: r.saved_nanos }))
    .sort((a, b) => b.costNanos - a.costNanos || compareGroups(a.group, b.group));

  let series: UsagePoint[] = [];
  if (granularity) {
    // A literal (from a fixed table), so the same expression appears in SELECT and GROUP BY.
    const bucket = `started_at - (started_at % ${BUCKET_MS[granularity]})`;
    series = (await sql.query<Row & { bucket: number }>(`SELECT ${bucket} AS bucket, ${group} AS grp, ${sums} FROM ${source} GROUP BY ${bucket}, ${group}`, params))
      .map((r) => ({ bucket: r.bucket, group: r.grp, requests: r.requests, inputTokens: r.input_tokens, outputTokens: r.output_tokens, costNanos: r.cost_nanos, savedNanos: r.saved_nanos }))
      .sort((a, b) => a.bucket - b.bucket || compareGroups(a.group, b.group));
  }
  return { totals, series };
}
