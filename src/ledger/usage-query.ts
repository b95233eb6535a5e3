import type { Sql } from "../store/sql.js";
import { scopeCondition, tagScopeCondition, type LedgerScope } from "./ledger-scope.js";
import { groupValue, splitRange } from "./rollups.js";

export type UsageGroupBy = "key" | "user" | "team" | "model" | "tag" | "route";
type UsageGranularity = "hour" | "day";

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
  /** Only the requests of these teams or of this user (a caller's role, see orgs/scope.ts). */
  scope?: LedgerScope;
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

interface UsagePoint {
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

const SUMS =
  "COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_nanos), 0) AS cost_nanos, COALESCE(SUM(saved_nanos), 0) AS saved_nanos";
const ROLLUP_SUMS =
  "COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_nanos), 0) AS cost_nanos, COALESCE(SUM(saved_nanos), 0) AS saved_nanos";

type Totals = Omit<UsageTotal, "group">;
const toTotals = (r: Row): Totals => ({ requests: r.requests, inputTokens: r.input_tokens, outputTokens: r.output_tokens, costNanos: r.cost_nanos, savedNanos: r.saved_nanos });

/** Adds `rows` into `into` under `keyOf`: the parts of a split range become one answer. */
function addInto<R extends Row>(into: Map<string, { row: R; totals: Totals }>, rows: R[], keyOf: (r: R) => string): void {
  for (const row of rows) {
    const key = keyOf(row);
    const seen = into.get(key);
    const add = toTotals(row);
    if (!seen) into.set(key, { row, totals: add });
    else for (const k of Object.keys(add) as (keyof Totals)[]) seen.totals[k] += add[k];
  }
}

/** Raw rows of [from, to): the edges of a range, or all of it when rollups cannot answer. */
function rawSource(query: UsageQuery, params: unknown[]): { source: string; group: string } {
  if (query.groupBy === "tag") {
    // The tag table carries the request's figures, so no join is needed.
    const name = `$${params.push(query.tag ?? "")}`;
    return { source: `tollgate_ledger_tags WHERE started_at >= $1 AND started_at < $2 AND name = ${name}${tagScopeCondition(query.scope, params)}`, group: "value" };
  }
  return { source: `tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2${scopeCondition(query.scope, params)}`, group: GROUP_COLUMNS[query.groupBy] };
}

const rollupDim = (query: UsageQuery) => (query.groupBy === "tag" ? `tag:${query.tag ?? ""}` : query.groupBy);

/**
 * Usage per key, user, team, model, route or tag value over [from, to). Whole hours are
 * read from the hourly rollups, the partial hours at either end from raw rows; a scoped
 * caller (some teams, one user) is answered from raw rows, since the rollups sum everyone's. Buckets are
 * integer arithmetic on epoch ms (days are UTC days), and rows are ordered here rather
 * than in SQL, so SQLite and Postgres give identical answers.
 */
export async function queryUsage(sql: Sql, query: UsageQuery): Promise<UsageReport> {
  const { granularity } = query;
  if (query.groupBy === "tag" && !query.tag) throw new Error('queryUsage: groupBy "tag" needs the tag name');
  const split = query.scope ? { edges: [{ from: query.from, to: query.to }], rollups: [] } : await splitRange(sql, query.from, query.to, { days: granularity !== "hour" });
  const totals = new Map<string, { row: Row; totals: Totals }>();
  const points = new Map<string, { row: Row & { bucket: number }; totals: Totals }>();
  const groupKey = (r: Row) => JSON.stringify(r.grp);
  const pointKey = (r: Row & { bucket: number }) => JSON.stringify([r.bucket, r.grp]);

  for (const edge of split.edges) {
    const params: unknown[] = [edge.from, edge.to];
    const { source, group } = rawSource(query, params);
    addInto(totals, await sql.query<Row>(`SELECT ${group} AS grp, ${SUMS} FROM ${source} GROUP BY ${group}`, params), groupKey);
    if (granularity) {
      // A literal (from a fixed table), so the same expression appears in SELECT and GROUP BY.
      const bucket = `started_at - (started_at % ${BUCKET_MS[granularity]})`;
      addInto(points, await sql.query<Row & { bucket: number }>(`SELECT ${bucket} AS bucket, ${group} AS grp, ${SUMS} FROM ${source} GROUP BY ${bucket}, ${group}`, params), pointKey);
    }
  }
  for (const part of split.rollups) {
    const params = [rollupDim(query)];
    const source = `${part.table} WHERE dim = $1 AND ${part.where}`;
    const decode = <R extends Row>(rows: R[]) => rows.map((r) => ({ ...r, grp: groupValue(r.grp ?? "") }));
    addInto(totals, decode(await sql.query<Row>(`SELECT grp, ${ROLLUP_SUMS} FROM ${source} GROUP BY grp`, params)), groupKey);
    if (granularity) {
      const bucket = `${part.column} - (${part.column} % ${BUCKET_MS[granularity]})`;
      addInto(points, decode(await sql.query<Row & { bucket: number }>(`SELECT ${bucket} AS bucket, grp, ${ROLLUP_SUMS} FROM ${source} GROUP BY ${bucket}, grp`, params)), pointKey);
    }
  }
  return {
    totals: [...totals.values()].map(({ row, totals: t }) => ({ group: row.grp, ...t })).sort((a, b) => b.costNanos - a.costNanos || compareGroups(a.group, b.group)),
    series: granularity ? [...points.values()].map(({ row, totals: t }) => ({ bucket: row.bucket, group: row.grp, ...t })).sort((a, b) => a.bucket - b.bucket || compareGroups(a.group, b.group)) : [],
  };
}
