import type { Sql } from "../store/sql.js";
import { splitRange } from "./rollups.js";

export interface ProviderHealth {
  provider: string;
  /** Upstream attempts made to this provider. */
  attempts: number;
  /** Attempts that failed (an error status, a timeout, a cut stream). */
  errors: number;
  /** Attempts followed by another try of the same provider and model for the same model call (a later step of a tool loop or repair is not a retry). */
  retries: number;
  /** Attempts followed by a try of another target (provider or model): a fallback. */
  fallbacks: number;
}

const DAY_MS = 86_400_000;
const sortRows = (rows: ProviderHealth[]) => rows.sort((a, b) => b.attempts - a.attempts || (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));

/**
 * The attempts of the requests started in [from, to), each beside the attempt after it
 * (LEAD by attempt number), to tell a retry from a fallback (within one step: a tool loop's or
 * repair's next model call is neither). The requests are taken first (a materialised CTE)
 * and their attempts looked up by primary key: PostgreSQL otherwise reads the whole day of
 * attempts around them (8 s an hour at 20M rows). An attempt starts after its request and
 * within a day of it (far beyond any timeout): bounding attempts by time lets PostgreSQL
 * read only their partitions.
 */
export const PROVIDER_HEALTH_RAW = `WITH r AS MATERIALIZED (SELECT id FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2)
     SELECT provider, COUNT(*) AS attempts,
            COALESCE(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), 0) AS errors,
            COALESCE(SUM(CASE WHEN next_step = step AND next_provider = provider AND next_model = model THEN 1 ELSE 0 END), 0) AS retries,
            COALESCE(SUM(CASE WHEN next_step = step AND (next_provider <> provider OR next_model <> model) THEN 1 ELSE 0 END), 0) AS fallbacks
       FROM (SELECT a.provider, a.model, a.step, a.status,
                    LEAD(a.step) OVER w AS next_step, LEAD(a.provider) OVER w AS next_provider, LEAD(a.model) OVER w AS next_model
               FROM r JOIN tollgate_ledger_attempts a ON a.request_id = r.id AND a.started_at >= $1 AND a.started_at < CAST($2 AS BIGINT) + ${DAY_MS}
             WINDOW w AS (PARTITION BY a.request_id ORDER BY a.attempt)) x
      GROUP BY provider`;

/** Attempt outcomes per provider for requests started in [from, to): whole hours from the rollups, the rest from raw rows. */
export async function queryProviderHealth(sql: Sql, from: number, to: number): Promise<ProviderHealth[]> {
  const split = await splitRange(sql, from, to);
  const parts = await Promise.all(split.edges.map((e) => sql.query<ProviderHealth>(PROVIDER_HEALTH_RAW, [e.from, e.to])));
  for (const part of split.rollups) {
    const rows = await sql.query<{ grp: string; attempts: number; errors: number; retries: number; fallbacks: number }>(
      `SELECT grp, SUM(requests) AS attempts, SUM(errors) AS errors, SUM(retries) AS retries, SUM(fallbacks) AS fallbacks FROM ${part.table} WHERE dim = 'provider' AND ${part.where} GROUP BY grp`,
    );
    parts.push(rows.map((r) => ({ provider: r.grp.slice(1), attempts: r.attempts, errors: r.errors, retries: r.retries, fallbacks: r.fallbacks })));
  }
  const merged = new Map<string, ProviderHealth>();
  for (const row of parts.flat()) {
    const seen = merged.get(row.provider);
    if (!seen) merged.set(row.provider, { ...row });
    else for (const k of ["attempts", "errors", "retries", "fallbacks"] as const) seen[k] += row[k];
  }
  return sortRows([...merged.values()]);
}
