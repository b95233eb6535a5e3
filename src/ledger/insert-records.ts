import type { RequestRecord } from "../spec/request-record.js";
import type { Sql } from "../store/sql.js";
import { ledgerTargets } from "./ledger-tables.js";
import { attemptColumns, type Cell, type LedgerRows, requestColumns, tagColumns, toolCallColumns, toRows } from "./rows.js";

// Below SQLite's 32766 bound parameters per statement (Postgres allows 65535).
const MAX_PARAMS = 30_000;

/** A record that cannot become rows (e.g. a damaged spool line): retrying cannot help. */
export class InvalidRecordError extends Error {
  override readonly name = "InvalidRecordError";
}

async function insertIgnoring(tx: Sql, table: string, columns: readonly string[], rows: readonly Record<string, Cell>[], conflict: string): Promise<void> {
  const perStatement = Math.floor(MAX_PARAMS / columns.length);
  for (let start = 0; start < rows.length; start += perStatement) {
    const params: Cell[] = [];
    const values = rows.slice(start, start + perStatement).map((row) => `(${columns.map((c) => `$${params.push(row[c] ?? null)}`).join(", ")})`);
    await tx.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")} ON CONFLICT (${conflict}) DO NOTHING`, params);
  }
}

const insertOne = (table: string, columns: readonly string[], conflict: string) =>
  `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ON CONFLICT (${conflict}) DO NOTHING`;

const SQLITE_TABLES = ledgerTargets("sqlite");
const SQLITE_INSERT = {
  requests: insertOne(SQLITE_TABLES.requests.table, ["seq", ...requestColumns], SQLITE_TABLES.requests.conflict),
  attempts: insertOne(SQLITE_TABLES.attempts.table, attemptColumns, SQLITE_TABLES.attempts.conflict),
  tags: insertOne(SQLITE_TABLES.tags.table, tagColumns, SQLITE_TABLES.tags.conflict),
  toolCalls: insertOne(SQLITE_TABLES.toolCalls.table, toolCallColumns, SQLITE_TABLES.toolCalls.conflict),
};

/** A row's cells in column order, after `first` (the request's seq) when given. */
function cells(row: Readonly<Record<string, Cell>>, columns: readonly string[], first?: Cell): Cell[] {
  const offset = first === undefined ? 0 : 1;
  const values: Cell[] = new Array(columns.length + offset);
  if (first !== undefined) values[0] = first;
  for (let i = 0; i < columns.length; i++) values[i + offset] = row[columns[i] as string] ?? null;
  return values;
}

/**
 * In-process SQLite: one cached single-row statement per table, run synchronously for every
 * row (no promise per row; measured by bench/ledger-write-cost.mjs). `seq` continues from the
 * last row written (one writer holds the database): found at once by the largest rowid, where
 * MAX(seq) would read the whole table.
 */
async function insertSqlite(tx: Sql, rows: readonly LedgerRows[]): Promise<void> {
  if (!tx.runEach) throw new Error("a SQLite transaction handle must offer runEach");
  const [top] = await tx.query<{ seq: number }>("SELECT seq FROM tollgate_requests ORDER BY rowid DESC LIMIT 1");
  const base = top?.seq ?? 0;
  const requests: Cell[][] = [];
  const attempts: Cell[][] = [];
  const tags: Cell[][] = [];
  const toolCalls: Cell[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    requests.push(cells(r.request, requestColumns, base + i + 1));
    for (const a of r.attempts) attempts.push(cells(a, attemptColumns));
    for (const t of r.tags) tags.push(cells(t, tagColumns));
    for (const c of r.toolCalls) toolCalls.push(cells(c, toolCallColumns));
  }
  tx.runEach(SQLITE_INSERT.requests, requests);
  tx.runEach(SQLITE_INSERT.attempts, attempts);
  tx.runEach(SQLITE_INSERT.tags, tags);
  if (toolCalls.length > 0) tx.runEach(SQLITE_INSERT.toolCalls, toolCalls);
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
    if (tx.dialect === "sqlite") return insertSqlite(tx, rows);
    // PostgreSQL: one round trip for many rows; seq comes from a sequence.
    await insertIgnoring(
      tx,
      target.requests.table,
      requestColumns,
      rows.map((r) => r.request),
      target.requests.conflict,
    );
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
