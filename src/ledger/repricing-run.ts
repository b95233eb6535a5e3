import { randomUUID } from "node:crypto";
import { HOUR_MS, markHoursDirty } from "./rollups.js";
import type { Sql } from "../store/sql.js";
import type { PriceTable } from "../pricing/price-table.js";

/** Rows one run may change; a longer history is repriced in several runs. */
const MAX_RUN_ROWS = 100_000;

export interface RepricingRun {
  id: string;
  createdAt: number;
  actor: string;
  note: string | null;
  from: number;
  to: number;
  rowsChanged: number;
  oldCostNanos: number;
  newCostNanos: number;
}

export class RepricingTooLargeError extends Error {
  override readonly name = "RepricingTooLargeError";
}

interface RequestCostRow {
  id: string;
  started_at: number;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  cost_nanos: number;
}

// PostgreSQL: a row may still be in the table of before migration 7, or in a partition.
const tablesOf = (sql: Sql, sqlite: string) => (sql.dialect === "postgres" ? [`${sqlite}_p`, sqlite] : [sqlite]);

/**
 * Applies `prices` to the recorded costs of [from, to): an explicit, recorded change. Each
 * changed request keeps its old and new cost in tollgate_repricing_rows under the run, its
 * tag rows follow, and its hours are marked for their rollups to be recomputed, in one transaction.
 * Cache hits (no upstream cost) and models the table has no price for are left as they were.
 */
export async function applyRepricing(
  sql: Sql,
  prices: PriceTable,
  input: { from: number; to: number; actor: string; note?: string | undefined; pricesJson: string; now?: number },
): Promise<RepricingRun> {
  return sql.transaction(async (tx) => {
    const rows = await tx.query<RequestCostRow>(
      `SELECT id, started_at, model, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_nanos
         FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 AND cache_hit = 0 ORDER BY started_at LIMIT ${MAX_RUN_ROWS + 1}`,
      [input.from, input.to],
    );
    if (rows.length > MAX_RUN_ROWS) throw new RepricingTooLargeError(`The range holds more than ${MAX_RUN_ROWS} requests; reprice it in shorter ranges.`);
    const run: RepricingRun = {
      id: `rpr_${randomUUID().replaceAll("-", "")}`,
      createdAt: input.now ?? Date.now(),
      actor: input.actor,
      note: input.note ?? null,
      from: input.from,
      to: input.to,
      rowsChanged: 0,
      oldCostNanos: 0,
      newCostNanos: 0,
    };
    const hours: number[] = [];
    for (const row of rows) {
      if (row.model === null || !prices.lookup(row.model, row.started_at)) continue;
      const cost = prices.cost(
        row.model,
        { inputTokens: row.input_tokens, outputTokens: row.output_tokens, cachedInputTokens: row.cached_input_tokens, cacheWriteTokens: row.cache_write_tokens },
        row.started_at,
      );
      if (cost === row.cost_nanos) continue;
      for (const table of tablesOf(tx, "tollgate_requests")) await tx.query(`UPDATE ${table} SET cost_nanos = $1 WHERE id = $2 AND started_at = $3`, [cost, row.id, row.started_at]);
      for (const table of tablesOf(tx, "tollgate_request_tags")) await tx.query(`UPDATE ${table} SET cost_nanos = $1 WHERE request_id = $2`, [cost, row.id]);
      await tx.query("INSERT INTO tollgate_repricing_rows (run_id, request_id, started_at, old_cost_nanos, new_cost_nanos) VALUES ($1, $2, $3, $4, $5)", [
        run.id,
        row.id,
        row.started_at,
        row.cost_nanos,
        cost,
      ]);
      hours.push(row.started_at - (row.started_at % HOUR_MS));
      run.rowsChanged += 1;
      run.oldCostNanos += row.cost_nanos;
      run.newCostNanos += cost;
    }
    await markHoursDirty(tx, hours);
    await tx.query(
      "INSERT INTO tollgate_repricing_runs (id, created_at, actor, note, prices, range_from, range_to, rows_changed, old_cost_nanos, new_cost_nanos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      [run.id, run.createdAt, run.actor, run.note, input.pricesJson, run.from, run.to, run.rowsChanged, run.oldCostNanos, run.newCostNanos],
    );
    return run;
  });
}

/** Past runs, newest first. */
export async function listRepricingRuns(sql: Sql, limit: number): Promise<RepricingRun[]> {
  const rows = await sql.query<{
    id: string;
    created_at: number;
    actor: string;
    note: string | null;
    range_from: number;
    range_to: number;
    rows_changed: number;
    old_cost_nanos: number;
    new_cost_nanos: number;
  }>(`SELECT id, created_at, actor, note, range_from, range_to, rows_changed, old_cost_nanos, new_cost_nanos FROM tollgate_repricing_runs ORDER BY created_at DESC, id LIMIT ${Math.trunc(limit)}`);
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    actor: r.actor,
    note: r.note,
    from: r.range_from,
    to: r.range_to,
    rowsChanged: r.rows_changed,
    oldCostNanos: r.old_cost_nanos,
    newCostNanos: r.new_cost_nanos,
  }));
}
