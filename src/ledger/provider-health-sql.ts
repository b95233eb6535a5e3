import type { Sql } from "../store/sql.js";

const DAY_MS = 86_400_000;

/** Requests started in [$1, $2) whose row does not give their attempts' outcomes: written before migration 13, or tried on several providers. */
const UNSUMMED = "r.started_at >= $1 AND r.started_at < $2 AND (r.providers IS NULL OR r.providers > 1)";
/** An attempt starts after its request and within a day of it (far beyond any timeout): bounding attempts by time lets PostgreSQL read only their partitions. */
const ATTEMPT_TIME = `a.started_at >= $1 AND a.started_at < CAST($2 AS BIGINT) + ${DAY_MS}`;
const PAIRED_COLUMNS = "a.provider, a.model, a.step, a.status, LEAD(a.step) OVER w AS next_step, LEAD(a.provider) OVER w AS next_provider, LEAD(a.model) OVER w AS next_model";

/**
 * Each attempt of those requests beside the next by attempt number. PostgreSQL: per request
 * (LATERAL), its attempts looked up by primary key. As a plain join it expects thousands of
 * attempts per request (no statistics through the views), so it merge-joins the whole day of
 * attempts around the hour and JIT-compiles the plan: 0.5–2 s an hour at 20M rows.
 */
const PAIRED = {
  postgres: `SELECT x.* FROM tollgate_ledger_requests r CROSS JOIN LATERAL (
               SELECT ${PAIRED_COLUMNS} FROM tollgate_ledger_attempts a WHERE a.request_id = r.id AND ${ATTEMPT_TIME} WINDOW w AS (ORDER BY a.attempt)) x
              WHERE ${UNSUMMED}`,
  sqlite: `SELECT ${PAIRED_COLUMNS} FROM tollgate_ledger_requests r JOIN tollgate_ledger_attempts a ON a.request_id = r.id AND ${ATTEMPT_TIME}
            WHERE ${UNSUMMED} WINDOW w AS (PARTITION BY a.request_id ORDER BY a.attempt)`,
};

/**
 * Provider health of the requests started in [$1, $2): per provider, attempts, failed
 * attempts, retries (attempts followed by another try of the same provider and model within
 * one model call) and fallbacks (followed by a try of another provider or model within it;
 * a tool loop's or repair's next step is neither). A request whose attempts all went to one
 * provider is summed from its row (migration 13: the writer counted them, attempt-outcomes.ts);
 * the rest pair their attempts here, by the same definition.
 */
export function providerHealthRaw(dialect: Sql["dialect"]): string {
  return `SELECT provider, SUM(attempts) AS attempts, SUM(errors) AS errors, SUM(retries) AS retries, SUM(fallbacks) AS fallbacks
            FROM (SELECT provider, attempts, attempt_errors AS errors, retries, fallbacks
                    FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 AND providers = 1
                  UNION ALL
                  SELECT provider, 1, CASE WHEN status = 'error' THEN 1 ELSE 0 END,
                         CASE WHEN next_step = step AND next_provider = provider AND next_model = model THEN 1 ELSE 0 END,
                         CASE WHEN next_step = step AND (next_provider <> provider OR next_model <> model) THEN 1 ELSE 0 END
                    FROM (${PAIRED[dialect]}) p) h
           GROUP BY provider`;
}
