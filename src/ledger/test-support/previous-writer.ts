import type { RequestRecord } from "../../spec/request-record.js";
import type { Sql } from "../../store/sql.js";
import { attemptColumns, requestColumns, tagColumns, toRows, type Cell } from "../rows.js";

/**
 * The ledger writer of the release before migration 7, its SQL verbatim: what an instance
 * not yet upgraded keeps running during a rolling deploy.
 */
async function insertIgnoring(tx: Sql, table: string, columns: readonly string[], rows: readonly Record<string, Cell>[], conflict: string): Promise<void> {
  if (rows.length === 0) return;
  const params: Cell[] = [];
  const values = rows.map((row) => `(${columns.map((c) => `$${params.push(row[c] ?? null)}`).join(", ")})`);
  await tx.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")} ON CONFLICT (${conflict}) DO NOTHING`, params);
}

/** The attempt columns of that release: `step` came with migration 6. */
const PREVIOUS_ATTEMPT_COLUMNS = attemptColumns.filter((c) => c !== "step");

export async function insertRecordsAsBefore(sql: Sql, records: readonly RequestRecord[]): Promise<void> {
  const rows = records.map(toRows);
  await sql.transaction(async (tx) => {
    const [top] = await tx.query<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM tollgate_requests");
    const base = top?.seq ?? 0;
    await insertIgnoring(
      tx,
      "tollgate_requests",
      ["seq", ...requestColumns],
      rows.map((r, i) => ({ seq: base + i + 1, ...r.request })),
      "id",
    );
    await insertIgnoring(
      tx,
      "tollgate_attempts",
      PREVIOUS_ATTEMPT_COLUMNS,
      rows.flatMap((r) => r.attempts),
      "request_id, attempt",
    );
    await insertIgnoring(
      tx,
      "tollgate_request_tags",
      tagColumns,
      rows.flatMap((r) => r.tags),
      "request_id, name",
    );
  });
}
