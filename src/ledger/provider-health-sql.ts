const DAY_MS = 86_400_000;

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
