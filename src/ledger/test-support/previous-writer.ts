import type { RequestRecord } from "../../spec/request-record.js";
import type { Sql } from "../../store/sql.js";
import { ledgerTargets } from "../ledger-tables.js";
import { attemptColumns, requestColumns, requestOutcomeColumns, tagColumns, toolCallColumns, toRows, type Cell } from "../rows.js";

/**
 * Ledger writers of earlier releases: the rows an instance not yet upgraded keeps writing
 * during a rolling deploy, into the tables it knows, with the columns it knows.
 */
async function insertIgnoring(tx: Sql, table: string, columns: readonly string[], rows: readonly Record<string, Cell>[], conflict: string): Promise<void> {
  if (rows.length === 0) return;
  const params: Cell[] = [];
  const values = rows.map((row) => `(${columns.map((c) => `$${params.push(row[c] ?? null)}`).join(", ")})`);
  await tx.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")} ON CONFLICT (${conflict}) DO NOTHING`, params);
}

/** The request columns before migration 13. */
const RELEASE_12_REQUEST_COLUMNS = requestColumns.filter((c) => !(requestOutcomeColumns as readonly string[]).includes(c));
/** The attempt columns of the release before migration 7: `step` came with migration 6. */
const PREVIOUS_ATTEMPT_COLUMNS = attemptColumns.filter((c) => c !== "step");

/** The writer of the release before migration 7. */
export async function insertRecordsAsBefore(sql: Sql, records: readonly RequestRecord[]): Promise<void> {
  const rows = records.map(toRows);
  await sql.transaction(async (tx) => {
    const [top] = await tx.query<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM tollgate_requests");
    const base = top?.seq ?? 0;
    await insertIgnoring(
      tx,
      "tollgate_requests",
      ["seq", ...RELEASE_12_REQUEST_COLUMNS],
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

/** The writer of releases 7 to 12: the partitions on PostgreSQL, without the request's attempt outcomes of migration 13. */
export async function insertRecordsAsRelease12(sql: Sql, records: readonly RequestRecord[]): Promise<void> {
  const rows = records.map(toRows);
  const target = ledgerTargets(sql.dialect);
  await sql.transaction(async (tx) => {
    if (tx.dialect === "postgres") {
      await insertIgnoring(
        tx,
        target.requests.table,
        RELEASE_12_REQUEST_COLUMNS,
        rows.map((r) => r.request),
        target.requests.conflict,
      );
    } else {
      const [top] = await tx.query<{ seq: number }>("SELECT seq FROM tollgate_requests ORDER BY rowid DESC LIMIT 1");
      const base = top?.seq ?? 0;
      await insertIgnoring(
        tx,
        target.requests.table,
        ["seq", ...RELEASE_12_REQUEST_COLUMNS],
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
    await insertIgnoring(
      tx,
      target.toolCalls.table,
      toolCallColumns,
      rows.flatMap((r) => r.toolCalls),
      target.toolCalls.conflict,
    );
  });
}
