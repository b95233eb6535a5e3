import { scopeCondition, type LedgerScope } from "./ledger-scope.js";
import type { Sql } from "../store/sql.js";

/** One ledger row as the dashboard lists it, with the key's name and prefix when it is a virtual key. */
export interface RequestSummaryRow {
  id: string;
  started_at: number;
  key_id: string | null;
  key_name: string | null;
  key_prefix: string | null;
  user_id: string | null;
  team_id: string | null;
  end_user: string | null;
  tags: string;
  route: string | null;
  api: string;
  stream: number;
  status: number;
  outcome: string;
  error_code: string | null;
  provider: string | null;
  model: string | null;
  attempts: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  usage_source: string | null;
  cost_nanos: number;
  saved_nanos: number;
  cache_hit: number;
  cache_kind: string | null;
  latency_ms: number;
  ttft_ms: number | null;
}

export interface AttemptRow {
  attempt: number;
  provider: string;
  model: string;
  started_at: number;
  duration_ms: number | null;
  ttft_ms: number | null;
  status: string;
  error_code: string | null;
  upstream_status: number | null;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  usage_source: string | null;
  cost_nanos: number;
}

const SELECT = `SELECT r.id, r.started_at, r.key_id, k.name AS key_name, k.prefix AS key_prefix, r.user_id, r.team_id, r.end_user, r.tags,
       r.route, r.api, r.stream, r.status, r.outcome, r.error_code, r.provider, r.model, r.attempts,
       r.input_tokens, r.output_tokens, r.cached_input_tokens, r.reasoning_tokens, r.usage_source,
       r.cost_nanos, r.saved_nanos, r.cache_hit, r.cache_kind, r.latency_ms, r.ttft_ms
  FROM tollgate_ledger_requests r LEFT JOIN tollgate_keys k ON k.id = r.key_id`;

/** The newest requests first (by start time, then by insertion order); `errorsOnly` keeps statuses of 400 and more. */
export async function queryRecentRequests(sql: Sql, options: { limit: number; errorsOnly: boolean; scope?: LedgerScope }): Promise<RequestSummaryRow[]> {
  const params: unknown[] = [Math.trunc(options.limit)];
  const where = `WHERE ${options.errorsOnly ? "r.status >= 400" : "1 = 1"}${scopeCondition(options.scope, params, "r")}`;
  return sql.query<RequestSummaryRow>(`${SELECT} ${where} ORDER BY r.started_at DESC, r.seq DESC LIMIT $1`, params);
}

/** One request and its attempts in order; undefined when the ledger has no such id (yet). */
export async function queryRequest(sql: Sql, id: string): Promise<{ request: RequestSummaryRow; attempts: AttemptRow[] } | undefined> {
  const [request] = await sql.query<RequestSummaryRow>(`${SELECT} WHERE r.id = $1`, [id]);
  if (!request) return undefined;
  const attempts = await sql.query<AttemptRow>(
    `SELECT attempt, provider, model, started_at, duration_ms, ttft_ms, status, error_code, upstream_status,
            input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, usage_source, cost_nanos
       FROM tollgate_ledger_attempts WHERE request_id = $1 ORDER BY attempt`,
    [id],
  );
  return { request, attempts };
}
