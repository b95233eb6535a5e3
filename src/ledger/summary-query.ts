import type { Sql } from "../store/sql.js";

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

/** Totals over [from, to) (epoch ms) from the ledger: one aggregate, one distinct. */
export async function querySummary(sql: Sql, from: number, to: number): Promise<LedgerSummary> {
  const [row] = await sql.query<{ requests: number; errors: number; input_tokens: number; output_tokens: number; cost_nanos: number; saved_nanos: number; cache_hits: number }>(
    `SELECT COUNT(*) AS requests,
            COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS errors,
            COALESCE(SUM(input_tokens), 0) AS input_tokens,
            COALESCE(SUM(output_tokens), 0) AS output_tokens,
            COALESCE(SUM(cost_nanos), 0) AS cost_nanos,
            COALESCE(SUM(saved_nanos), 0) AS saved_nanos,
            COALESCE(SUM(cache_hit), 0) AS cache_hits
       FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2`,
    [from, to],
  );
  const names = await sql.query<{ name: string }>(`SELECT DISTINCT name FROM tollgate_ledger_tags WHERE started_at >= $1 AND started_at < $2 ORDER BY name LIMIT ${MAX_TAG_NAMES}`, [from, to]);
  return {
    requests: row?.requests ?? 0,
    errors: row?.errors ?? 0,
    inputTokens: row?.input_tokens ?? 0,
    outputTokens: row?.output_tokens ?? 0,
    costNanos: row?.cost_nanos ?? 0,
    savedNanos: row?.saved_nanos ?? 0,
    cacheHits: row?.cache_hits ?? 0,
    // Sorted here: SQLite and Postgres collate text differently.
    tagNames: names.map((n) => n.name).sort(),
  };
}
