import type { Sql } from "../store/sql.js";
import { DAY_MS, dayStart } from "./partitions.js";
import { scopeCondition, tagScopeCondition, type LedgerScope } from "./ledger-scope.js";
import { splitRange, type RollupPart } from "./rollups.js";

export interface LedgerSummary {
  requests: number;
  /** Requests answered with a status of 400 or more (including 429 refusals and 499 client exits). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
  /** What cache hits would have cost upstream. */
  savedNanos: number;
  cacheHits: number;
  /** Tag names seen in the range (at most 100), for grouping by tag. */
  tagNames: string[];
}

const MAX_TAG_NAMES = 100;

type Sums = Omit<LedgerSummary, "tagNames">;
interface SumsRow {
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  saved_nanos: number;
  cache_hits: number;
}

const fromRow = (row: SumsRow | undefined): Sums => ({
  requests: row?.requests ?? 0,
  errors: row?.errors ?? 0,
  inputTokens: row?.input_tokens ?? 0,
  outputTokens: row?.output_tokens ?? 0,
  costNanos: row?.cost_nanos ?? 0,
  savedNanos: row?.saved_nanos ?? 0,
  cacheHits: row?.cache_hits ?? 0,
});

/**
 * The tag names of [$1, $2). `SELECT DISTINCT name ... WHERE started_at` cannot use the tags
 * index (name, started_at) for a range of time: PostgreSQL scanned the whole day's tags
 * partition (100 ms at 20M rows), SQLite the whole index unless ANALYZE had run. Here each
 * name is found by one step down the index from the last (a loose index scan: as many steps
 * as names, not rows) and kept if the index has a row of it in the range. $3 and $4 bound
 * the steps to the day partitions around the range (PostgreSQL; everything on SQLite). The
 * recursion yields names in index order, as ORDER BY name would, one a step, so LIMIT stops it.
 */
const TAG_NAMES = `
  WITH RECURSIVE names (name) AS (
    SELECT (SELECT name FROM tollgate_ledger_tags WHERE started_at >= $3 AND started_at < $4 ORDER BY name LIMIT 1)
    UNION ALL
    SELECT (SELECT t.name FROM tollgate_ledger_tags t WHERE t.name > names.name AND t.started_at >= $3 AND t.started_at < $4 ORDER BY t.name LIMIT 1)
      FROM names WHERE names.name IS NOT NULL
  )
  SELECT name FROM names
   WHERE (SELECT t.started_at FROM tollgate_ledger_tags t WHERE t.name = names.name AND t.started_at >= $1 AND t.started_at < $2 ORDER BY t.started_at LIMIT 1) IS NOT NULL
   LIMIT ${MAX_TAG_NAMES}`;

function rawTagNames(sql: Sql, from: number, to: number, scope?: LedgerScope): Promise<{ name: string }[]> {
  if (!scope) {
    const days = sql.dialect === "postgres" ? [dayStart(from), dayStart(to - 1) + DAY_MS] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    return sql.query(TAG_NAMES, [from, to, ...days]);
  }
  // A scoped caller reads the whole range from raw rows anyway; the scope is a condition on each tag row.
  const params: unknown[] = [from, to];
  const where = tagScopeCondition(scope, params);
  return sql.query(`SELECT DISTINCT name FROM tollgate_ledger_tags WHERE started_at >= $1 AND started_at < $2${where} ORDER BY name LIMIT ${MAX_TAG_NAMES}`, params);
}

async function rawSums(sql: Sql, from: number, to: number, scope?: LedgerScope): Promise<{ sums: Sums; tagNames: string[] }> {
  const params: unknown[] = [from, to];
  const where = scopeCondition(scope, params);
  const [[row], names] = await Promise.all([
    sql.query<SumsRow>(
      `SELECT COUNT(*) AS requests,
              COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS errors,
              COALESCE(SUM(input_tokens), 0) AS input_tokens,
              COALESCE(SUM(output_tokens), 0) AS output_tokens,
              COALESCE(SUM(cost_nanos), 0) AS cost_nanos,
              COALESCE(SUM(saved_nanos), 0) AS saved_nanos,
              COALESCE(SUM(cache_hit), 0) AS cache_hits
         FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2${where}`,
      params,
    ),
    rawTagNames(sql, from, to, scope),
  ]);
  return { sums: fromRow(row), tagNames: names.map((n) => n.name) };
}

async function rollupSums(sql: Sql, part: RollupPart): Promise<{ sums: Sums; tagNames: string[] }> {
  const [row] = await sql.query<SumsRow>(
    `SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors,
            COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
            COALESCE(SUM(cost_nanos), 0) AS cost_nanos, COALESCE(SUM(saved_nanos), 0) AS saved_nanos, COALESCE(SUM(cache_hits), 0) AS cache_hits
       FROM ${part.table} WHERE dim = 'all' AND ${part.where}`,
  );
  // 'tag:' < dim < 'tag;': a range of the primary key, whatever the number of other rows.
  const dims = await sql.query<{ dim: string }>(`SELECT DISTINCT dim FROM ${part.table} WHERE dim > 'tag:' AND dim < 'tag;' AND ${part.where} ORDER BY dim LIMIT ${MAX_TAG_NAMES}`);
  return { sums: fromRow(row), tagNames: dims.map((d) => d.dim.slice("tag:".length)) };
}

/**
 * Totals over [from, to) (epoch ms): whole hours from the rollups, the partial hours at the
 * ends from raw rows. A caller who may see only some teams or one user (a scope) is answered
 * from raw rows: the rollups sum everyone's.
 */
export async function querySummary(sql: Sql, from: number, to: number, scope?: LedgerScope): Promise<LedgerSummary> {
  const split = scope ? { edges: [{ from, to }], rollups: [] } : await splitRange(sql, from, to);
  const parts = await Promise.all([...split.edges.map((e) => rawSums(sql, e.from, e.to, scope)), ...split.rollups.map((part) => rollupSums(sql, part))]);
  const sums = fromRow(undefined);
  for (const part of parts) for (const k of Object.keys(sums) as (keyof Sums)[]) sums[k] += part.sums[k];
  // Sorted here: SQLite and Postgres collate text differently.
  const tagNames = [...new Set(parts.flatMap((p) => p.tagNames))].sort().slice(0, MAX_TAG_NAMES);
  return { ...sums, tagNames };
}
