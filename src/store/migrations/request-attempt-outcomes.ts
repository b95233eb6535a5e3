import type { Migration } from "../migration.js";

/**
 * Migration 13: a request's attempt outcomes on its own row, counted by the writer, which
 * has the whole attempt list at hand (src/ledger/attempt-outcomes.ts): `attempt_errors`,
 * `retries` and `fallbacks` (attempts followed by another try of the same target, or of
 * another, within one model call) and `providers` (how many providers were tried). Provider
 * health then sums a request whose attempts all went to one provider from its row alone,
 * where it paired every attempt with the next (`LEAD()`): a report's partial hour at 20M
 * rows went from 0.8–1 s to 18 ms (docs/benchmarks.md).
 *
 * Rolling deploy: rows of instances not yet upgraded (and rows moved from the tables of
 * before migration 7) have the columns NULL, and are still paired attempt by attempt, so
 * no answer depends on which release wrote a row and the rollups need no recomputing.
 * The columns are nullable without a default: adding them rewrites nothing. PostgreSQL:
 * the partitioned tables and the old ones get the same columns in the same order (the
 * maintenance moves rows between them by `SELECT *`), and the view is recreated, since a
 * view's `*` was expanded when it was made.
 */

const COLUMNS = "ADD COLUMN attempt_errors INTEGER, ADD COLUMN retries INTEGER, ADD COLUMN fallbacks INTEGER, ADD COLUMN providers INTEGER";

// SQLite takes one column per ALTER TABLE, and reads the view's `*` afresh.
const sqlite = COLUMNS.split(", ")
  .map((column) => `ALTER TABLE tollgate_requests ${column};`)
  .join("\n");

const postgres = `
  ALTER TABLE tollgate_requests_p ${COLUMNS};
  ALTER TABLE tollgate_requests ${COLUMNS};
  CREATE OR REPLACE VIEW tollgate_ledger_requests AS SELECT * FROM tollgate_requests_p UNION ALL SELECT * FROM tollgate_requests;
`;

export const requestAttemptOutcomesMigration: Migration = { version: 13, name: "attempt outcomes per request", sql: sqlite, postgres };
