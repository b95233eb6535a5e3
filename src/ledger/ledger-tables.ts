import type { Sql } from "../store/sql.js";

/** Where new ledger rows go, and the unique key each insert skips duplicates on. */
interface LedgerTarget {
  table: string;
  conflict: string;
}

export interface LedgerTargets {
  requests: LedgerTarget;
  attempts: LedgerTarget;
  tags: LedgerTarget;
  toolCalls: LedgerTarget;
}

const SQLITE: LedgerTargets = {
  requests: { table: "tollgate_requests", conflict: "id" },
  attempts: { table: "tollgate_attempts", conflict: "request_id, attempt" },
  tags: { table: "tollgate_request_tags", conflict: "request_id, name" },
  toolCalls: { table: "tollgate_tool_calls", conflict: "request_id, step, position" },
};

// The day-partitioned tables of migration 7: a partitioned table's keys include started_at.
const POSTGRES: LedgerTargets = {
  requests: { table: "tollgate_requests_p", conflict: "id, started_at" },
  attempts: { table: "tollgate_attempts_p", conflict: "request_id, attempt, started_at" },
  tags: { table: "tollgate_request_tags_p", conflict: "request_id, name, started_at" },
  toolCalls: { table: "tollgate_tool_calls_p", conflict: "request_id, step, position, started_at" },
};

export const ledgerTargets = (dialect: Sql["dialect"]): LedgerTargets => (dialect === "postgres" ? POSTGRES : SQLITE);
