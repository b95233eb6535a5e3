import type { Sql } from "../store/sql.js";

export interface ProviderHealth {
  provider: string;
  /** Upstream attempts made to this provider. */
  attempts: number;
  /** Attempts that failed (an error status, a timeout, a cut stream). */
  errors: number;
  /** Attempts followed by another try of the same provider and model. */
  retries: number;
  /** Attempts followed by a try of another target (provider or model): a fallback. */
  fallbacks: number;
}

/**
 * Attempt outcomes per provider for requests started in [from, to). Attempts are reached
 * through their requests (whose start time is indexed) and paired with the attempt after
 * them by primary key, to tell a retry from a fallback.
 */
export async function queryProviderHealth(sql: Sql, from: number, to: number): Promise<ProviderHealth[]> {
  const rows = await sql.query<ProviderHealth>(
    `SELECT a.provider AS provider, COUNT(*) AS attempts,
            COALESCE(SUM(CASE WHEN a.status = 'error' THEN 1 ELSE 0 END), 0) AS errors,
            COALESCE(SUM(CASE WHEN nx.provider = a.provider AND nx.model = a.model THEN 1 ELSE 0 END), 0) AS retries,
            COALESCE(SUM(CASE WHEN nx.provider <> a.provider OR nx.model <> a.model THEN 1 ELSE 0 END), 0) AS fallbacks
       FROM tollgate_ledger_requests r
       JOIN tollgate_ledger_attempts a ON a.request_id = r.id
       LEFT JOIN tollgate_ledger_attempts nx ON nx.request_id = a.request_id AND nx.attempt = a.attempt + 1
      WHERE r.started_at >= $1 AND r.started_at < $2
      GROUP BY a.provider`,
    [from, to],
  );
  return rows.sort((a, b) => b.attempts - a.attempts || (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
}
