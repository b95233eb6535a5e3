import type { Migration } from "../migrations.js";

/**
 * Migration 7: a ledger that stays fast at tens of millions of rows, plus the tables of
 * alerts and repricing runs (docs/accounting.md#a-ledger-that-scales).
 *
 * Readers use the `tollgate_ledger_*` views on both dialects. On SQLite they are the
 * tables as they were. On PostgreSQL new rows go to day-partitioned copies (`*_p`), while
 * the old tables stay, unchanged, for instances of the previous version still writing
 * during a rolling deploy (their `ON CONFLICT (id)` needs a unique index on `id`, which a
 * time-partitioned table cannot have); the views read both, and the ledger's maintenance
 * moves the old tables' rows into the partitions in small batches. Nothing here scans or
 * rewrites the existing rows on PostgreSQL, so the migration takes milliseconds.
 *
 * `tollgate_usage_hourly` holds one row per hour, dimension and group, kept by triggers
 * on insert (so rows written by any instance, of any version, or moved, are counted once):
 * dim is `all`, `key`, `user`, `team`, `model`, `route` or `tag:NAME`; grp is `=` and the
 * value, or '' for none (a key cannot be NULL).
 */

const HOUR = 3_600_000;
const hourOf = (column: string) => `${column} - ${column} % ${HOUR}`;
const grp = (column: string) => `COALESCE('=' || ${column}, '')`;

const REQUEST_DIMS: readonly [string, string][] = [
  ["all", "''"],
  ["key", grp("key_id")],
  ["user", grp("user_id")],
  ["team", grp("team_id")],
  ["model", grp("model")],
  ["route", grp("route")],
];
const MEASURES = "requests, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_nanos, saved_nanos, cache_hits";
const ADD = MEASURES.split(", ")
  .map((m) => `${m} = tollgate_usage_hourly.${m} + excluded.${m}`)
  .join(", ");

/** Sums of `source`'s request rows per dimension and hour. */
function requestRollupSelect(source: string): string {
  return REQUEST_DIMS.map(
    ([dim, group]) =>
      `SELECT '${dim}' AS dim, ${hourOf("started_at")} AS hour, ${group} AS grp,
              COUNT(*) AS requests, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors,
              SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
              SUM(cached_input_tokens) AS cached_input_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
              SUM(cost_nanos) AS cost_nanos, SUM(saved_nanos) AS saved_nanos, SUM(cache_hit) AS cache_hits
         FROM ${source} GROUP BY 2, 3`,
  ).join("\n UNION ALL ");
}

function tagRollupSelect(source: string): string {
  return `SELECT 'tag:' || name AS dim, ${hourOf("started_at")} AS hour, '=' || value AS grp, COUNT(*) AS requests, 0 AS errors,
                 SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, 0 AS cached_input_tokens, 0 AS cache_write_tokens,
                 SUM(cost_nanos) AS cost_nanos, SUM(saved_nanos) AS saved_nanos, 0 AS cache_hits
            FROM ${source} GROUP BY 1, 2, 3`;
}

// Sorted, so that writers adding to the same rows lock them in one order (no deadlocks).
const upsert = (select: string) => `INSERT INTO tollgate_usage_hourly (dim, hour, grp, ${MEASURES})
  SELECT * FROM (${select}) s WHERE true ORDER BY dim, hour, grp
  ON CONFLICT (dim, hour, grp) DO UPDATE SET ${ADD}`;

const COMMON = `
  CREATE TABLE tollgate_usage_hourly (
    dim TEXT NOT NULL,
    hour BIGINT NOT NULL,
    grp TEXT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cached_input_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cost_nanos BIGINT NOT NULL DEFAULT 0,
    saved_nanos BIGINT NOT NULL DEFAULT 0,
    cache_hits BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, hour, grp)
  );
  CREATE INDEX tollgate_usage_hourly_hour ON tollgate_usage_hourly (hour);

  CREATE TABLE tollgate_alert_rules (
    id TEXT NOT NULL PRIMARY KEY,
    rule TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  -- One row per alert and webhook; dedupe_key (rule, subject, window, webhook) makes it once across instances.
  CREATE TABLE tollgate_alert_outbox (
    id TEXT NOT NULL PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    webhook TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error TEXT,
    sent_at BIGINT
  );
  CREATE INDEX tollgate_alert_outbox_due ON tollgate_alert_outbox (state, next_attempt_at);
  CREATE INDEX tollgate_alert_outbox_created ON tollgate_alert_outbox (created_at);

  CREATE TABLE tollgate_repricing_runs (
    id TEXT NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT,
    prices TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    rows_changed INTEGER NOT NULL,
    old_cost_nanos BIGINT NOT NULL,
    new_cost_nanos BIGINT NOT NULL
  );
  CREATE TABLE tollgate_repricing_rows (
    run_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    old_cost_nanos BIGINT NOT NULL,
    new_cost_nanos BIGINT NOT NULL,
    PRIMARY KEY (run_id, request_id)
  );
`;

const LEDGER_TABLES: readonly { table: string; view: string; key: string; indexes: string[] }[] = [
  { table: "tollgate_requests", view: "tollgate_ledger_requests", key: "id, started_at", indexes: ["started_at"] },
  { table: "tollgate_attempts", view: "tollgate_ledger_attempts", key: "request_id, attempt, started_at", indexes: [] },
  { table: "tollgate_request_tags", view: "tollgate_ledger_tags", key: "request_id, name, started_at", indexes: ["name, started_at"] },
  { table: "tollgate_tool_calls", view: "tollgate_ledger_tool_calls", key: "request_id, step, position, started_at", indexes: [] },
];

const sqlite = `
  ${COMMON}
  ${LEDGER_TABLES.map((t) => `CREATE VIEW ${t.view} AS SELECT * FROM ${t.table};`).join("\n")}
  ${upsert(requestRollupSelect("tollgate_requests"))};
  ${upsert(tagRollupSelect("tollgate_request_tags"))};
  CREATE TRIGGER tollgate_requests_rollup AFTER INSERT ON tollgate_requests BEGIN
    ${upsert(requestRollupSelect("(SELECT NEW.started_at AS started_at, NEW.key_id AS key_id, NEW.user_id AS user_id, NEW.team_id AS team_id, NEW.model AS model, NEW.route AS route, NEW.status AS status, NEW.input_tokens AS input_tokens, NEW.output_tokens AS output_tokens, NEW.cached_input_tokens AS cached_input_tokens, NEW.cache_write_tokens AS cache_write_tokens, NEW.cost_nanos AS cost_nanos, NEW.saved_nanos AS saved_nanos, NEW.cache_hit AS cache_hit)"))};
  END;
  CREATE TRIGGER tollgate_request_tags_rollup AFTER INSERT ON tollgate_request_tags BEGIN
    ${upsert(tagRollupSelect("(SELECT NEW.name AS name, NEW.value AS value, NEW.started_at AS started_at, NEW.input_tokens AS input_tokens, NEW.output_tokens AS output_tokens, NEW.cost_nanos AS cost_nanos, NEW.saved_nanos AS saved_nanos)"))};
  END;
`;

const postgres = `
  ${COMMON}
  CREATE SEQUENCE tollgate_ledger_seq;
  ${LEDGER_TABLES.map(
    (t) => `
    CREATE TABLE ${t.table}_p (LIKE ${t.table} INCLUDING DEFAULTS, PRIMARY KEY (${t.key})) PARTITION BY RANGE (started_at);
    ${t.indexes.map((cols, i) => `CREATE INDEX ${t.table}_p_${i} ON ${t.table}_p (${cols});`).join("\n")}
    -- Rows outside every day's partition (a clock far off, history not yet given its days).
    CREATE TABLE ${t.table}_p_default PARTITION OF ${t.table}_p DEFAULT;
    CREATE VIEW ${t.view} AS SELECT * FROM ${t.table}_p UNION ALL SELECT * FROM ${t.table};`,
  ).join("\n")}
  ALTER TABLE tollgate_requests_p ALTER COLUMN seq SET DEFAULT nextval('tollgate_ledger_seq');

  CREATE FUNCTION tollgate_requests_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${upsert(requestRollupSelect("inserted"))};
    RETURN NULL;
  END $$;
  CREATE TRIGGER tollgate_requests_rollup AFTER INSERT ON tollgate_requests_p REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tollgate_requests_rollup();
  CREATE FUNCTION tollgate_request_tags_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${upsert(tagRollupSelect("inserted"))};
    RETURN NULL;
  END $$;
  CREATE TRIGGER tollgate_request_tags_rollup AFTER INSERT ON tollgate_request_tags_p REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tollgate_request_tags_rollup();
`;

export const ledgerScaleMigration: Migration = { version: 7, name: "ledger partitions, hourly rollups, alerts, repricing", sql: sqlite, postgres };
