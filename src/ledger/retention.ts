import type { Sql } from "../store/sql.js";
import { dropPartitionsBefore } from "./partitions.js";

/** Rows per delete transaction: small enough that writers never wait long for the lock. */
const DELETE_BATCH = 5_000;
/** Free pages handed back to the file system per incremental vacuum step. */
const VACUUM_PAGES = 2_000;

export interface RetentionResult {
  /** Raw request rows deleted one by one (SQLite, and PostgreSQL rows outside the day partitions). */
  deletedRequests: number;
  /** PostgreSQL: the days whose partitions were dropped. */
  droppedDays: number[];
  deletedRollupRows: number;
}

/**
 * Deletes the requests of `requests` that started before `cutoff`, with their attempts,
 * tags and tool calls, `DELETE_BATCH` at a time, each batch its own transaction.
 */
async function deleteRequestsBefore(sql: Sql, tables: { requests: string; children: string[] }, cutoff: number): Promise<number> {
  const oldest = `SELECT id FROM ${tables.requests} WHERE started_at < $1 ORDER BY started_at LIMIT ${DELETE_BATCH}`;
  let deleted = 0;
  for (;;) {
    const n = await sql.transaction(async (tx) => {
      for (const child of tables.children) await tx.query(`DELETE FROM ${child} WHERE request_id IN (${oldest})`, [cutoff]);
      return (await tx.query(`DELETE FROM ${tables.requests} WHERE id IN (${oldest}) RETURNING 1`, [cutoff])).length;
    });
    deleted += n;
    if (n < DELETE_BATCH) return deleted;
  }
}

/** Rows of a PostgreSQL default partition before `cutoff`, in batches (they have no day to drop). */
async function deleteDefaultRowsBefore(sql: Sql, table: string, cutoff: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = (await sql.query(`DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE started_at < $1 LIMIT ${DELETE_BATCH}) RETURNING 1`, [cutoff])).length;
    deleted += n;
    if (n < DELETE_BATCH) return deleted;
  }
}

/** SQLite: gives freed pages back, a step at a time, when the file was made with auto_vacuum = INCREMENTAL. */
async function vacuumIncrementally(sql: Sql): Promise<void> {
  const [mode] = await sql.query<{ auto_vacuum: number }>("PRAGMA auto_vacuum");
  if (mode?.auto_vacuum !== 2) return;
  for (;;) {
    const [free] = await sql.query<{ freelist_count: number }>("PRAGMA freelist_count");
    if (!free || free.freelist_count === 0) return;
    await sql.exec(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`);
  }
}

/**
 * Applies `ledger.retention`: raw rows older than `rawCutoff`, rollup hours older than
 * `rollupCutoff` (either undefined: kept). On PostgreSQL whole days go by dropping their
 * partitions; on SQLite rows go by batched deletes, then an incremental vacuum.
 */
export async function applyRetention(sql: Sql, cutoffs: { raw?: number | undefined; rollup?: number | undefined }): Promise<RetentionResult> {
  const result: RetentionResult = { deletedRequests: 0, droppedDays: [], deletedRollupRows: 0 };
  if (cutoffs.raw !== undefined) {
    const children = ["tollgate_attempts", "tollgate_request_tags", "tollgate_tool_calls"];
    // On PostgreSQL these are the tables of before migration 7, normally emptied by the move.
    result.deletedRequests = await deleteRequestsBefore(sql, { requests: "tollgate_requests", children }, cutoffs.raw);
    if (sql.dialect === "postgres") {
      result.droppedDays = await dropPartitionsBefore(sql, cutoffs.raw);
      for (const child of children) await deleteDefaultRowsBefore(sql, `${child}_p_default`, cutoffs.raw);
      result.deletedRequests += await deleteDefaultRowsBefore(sql, "tollgate_requests_p_default", cutoffs.raw);
    }
  }
  if (cutoffs.rollup !== undefined) {
    result.deletedRollupRows = (await sql.query("DELETE FROM tollgate_usage_hourly WHERE hour < $1 RETURNING 1", [cutoffs.rollup])).length;
    // Whole days only: a day partly past the cutoff keeps its daily row until all of it is.
    await sql.query("DELETE FROM tollgate_usage_daily WHERE day + 86400000 <= $1", [cutoffs.rollup]);
    // The latency histograms (migration 12) are rollups too, kept as long.
    result.deletedRollupRows += (await sql.query("DELETE FROM tollgate_latency_hourly WHERE hour < $1 RETURNING 1", [cutoffs.rollup])).length;
    await sql.query("DELETE FROM tollgate_latency_daily WHERE day + 86400000 <= $1", [cutoffs.rollup]);
  }
  if (sql.dialect === "sqlite" && (result.deletedRequests > 0 || result.deletedRollupRows > 0)) await vacuumIncrementally(sql);
  return result;
}
