import type { RequestRecord } from "../spec/request-record.js";
import type { Sql } from "../store/sql.js";
import { ledgerTargets } from "./ledger-tables.js";
import { attemptColumns, requestColumns, tagColumns, toolCallColumns, toRows, type Cell } from "./rows.js";

// Below SQLite's 32766 bound parameters per statement (Postgres allows 65535).
const MAX_PARAMS = 30_000;

/** A record that cannot become rows (e.g. a damaged spool line): retrying cannot help. */
export class InvalidRecordError extends Error {
  override readonly name = "InvalidRecordError";
}

async function insertIgnoring(tx: Sql, table: string, columns: readonly string[], rows: readonly Record<string, Cell>[], conflict: string): Promise<void> {
  if (tx.dialect === "sqlite") {
    // In-process SQLite: one cached single-row statement beats preparing a multi-row one per batch.
    const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")}) ON CONFLICT (${conflict}) DO NOTHING`;
    for (const row of rows)
      await tx.query(
        sql,
        columns.map((c) => row[c] ?? null),
      );
    return;
  }
  // Postgres: one round trip for many rows.
  const perStatement = Math.floor(MAX_PARAMS / columns.length);
  for (let start = 0; start < rows.length; start += perStatement) {
    const params: Cell[] = [];
    const values = rows.slice(start, start + perStatement).map((row) => `(${columns.map((c) => `$${params.push(row[c] ?? null)}`).join(", ")})`);
    await tx.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")} ON CONFLICT (${conflict}) DO NOTHING`, params);
  }
}

/**
 * Writes records in one transaction. Inserts skip rows already present, so a batch
 * replayed after an uncertain commit is never counted twice. `seq` records insertion
 * order: a sequence on PostgreSQL, on SQLite (one writer) the last row's seq plus one.
 */
export async function insertRecords(sql: Sql, records: readonly RequestRecord[]): Promise<void> {
  const rows = records.map((record) => {
    try {
      return toRows(record);
    } catch (err) {
      throw new InvalidRecordError(`ledger record ${String((record as Partial<RequestRecord> | null)?.id)} cannot be mapped to rows`, { cause: err });
    }
  });
  const target = ledgerTargets(sql.dialect);
  await sql.transaction(async (tx) => {
    if (tx.dialect === "postgres") {
      await insertIgnoring(
        tx,
        target.requests.table,
        requestColumns,
        rows.map((r) => r.request),
        target.requests.conflict,
      );
    } else {
      // The largest rowid is the last row written: found at once, where MAX(seq) would read the whole table.
      const [top] = await tx.query<{ seq: number }>("SELECT seq FROM tollgate_requests ORDER BY rowid DESC LIMIT 1");
      const base = top?.seq ?? 0;
      await insertIgnoring(
        tx,
        target.requests.table,
        ["seq", ...requestColumns],
        rows.map((r, i) => ({ seq: base + i + 1, ...r.request })),
        target.requests.conflict,
      );
    }
    await insertIgnoring(
      tx,
      target.attempts.table,
      attemptColumns,
      rows.flatMap((r) => r.attempts),
      target.attempts.conflict,
    );
    await insertIgnoring(
      tx,
      target.tags.table,
      tagColumns,
      rows.flatMap((r) => r.tags),
      target.tags.conflict,
    );
    const toolCalls = rows.flatMap((r) => r.toolCalls);
    if (toolCalls.length > 0) await insertIgnoring(tx, target.toolCalls.table, toolCallColumns, toolCalls, target.toolCalls.conflict);
  });
}
