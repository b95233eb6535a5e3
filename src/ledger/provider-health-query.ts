import type { Sql } from "../store/sql.js";
import { splitRange } from "./rollups.js";
import { providerHealthRaw } from "./provider-health-sql.js";

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

const sortRows = (rows: ProviderHealth[]) => rows.sort((a, b) => b.attempts - a.attempts || (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));

/** Attempt outcomes per provider for requests started in [from, to): whole hours from the rollups, the rest from raw rows. */
export async function queryProviderHealth(sql: Sql, from: number, to: number): Promise<ProviderHealth[]> {
  const split = await splitRange(sql, from, to);
  const parts = await Promise.all(split.edges.map((e) => sql.query<ProviderHealth>(providerHealthRaw(sql.dialect), [e.from, e.to])));
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
