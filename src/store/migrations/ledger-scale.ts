import type { Migration } from "../migration.js";

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
 * `tollgate_usage_hourly` holds one row per hour, dimension and group: dim is `all`, `key`,
 * `user`, `team`, `model`, `route` or `tag:NAME`; grp is `=` and the value, or '' for none
 * (a key cannot be NULL). Writers pay one cheap mark per batch: a trigger notes each hour
 * that got rows in `tollgate_rollup_dirty` (rows of any instance, of any version, or
 * moved), and the ledger's maintenance recomputes those hours from the raw rows. Reports
 * read raw rows for hours still marked.
 */

const HOUR = 3_600_000;
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
    -- dim 'provider' only: upstream attempts are its requests; these say what followed them.
    retries BIGINT NOT NULL DEFAULT 0,
    fallbacks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, hour, grp)
  );
  CREATE INDEX tollgate_usage_hourly_hour ON tollgate_usage_hourly (hour);
  -- The same sums per UTC day, from the day's hours: a month is read in 30 rows per group, not 720.
  CREATE TABLE tollgate_usage_daily (
    dim TEXT NOT NULL,
    day BIGINT NOT NULL,
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
    retries BIGINT NOT NULL DEFAULT 0,
    fallbacks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, day, grp)
  );
  CREATE INDEX tollgate_usage_daily_day ON tollgate_usage_daily (day);
  CREATE TABLE tollgate_rollup_dirty (hour BIGINT NOT NULL PRIMARY KEY);

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
  INSERT INTO tollgate_rollup_dirty (hour) SELECT DISTINCT started_at - started_at % ${HOUR} FROM tollgate_requests WHERE true ON CONFLICT (hour) DO NOTHING;
  CREATE TRIGGER tollgate_requests_rollup AFTER INSERT ON tollgate_requests BEGIN
    INSERT INTO tollgate_rollup_dirty (hour) VALUES (NEW.started_at - NEW.started_at % ${HOUR}) ON CONFLICT (hour) DO NOTHING;
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
    INSERT INTO tollgate_rollup_dirty (hour) SELECT DISTINCT started_at - started_at % ${HOUR} FROM inserted ORDER BY 1 ON CONFLICT (hour) DO NOTHING;
    RETURN NULL;
  END $$;
  CREATE TRIGGER tollgate_requests_rollup AFTER INSERT ON tollgate_requests_p REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tollgate_requests_rollup();
`;

export const ledgerScaleMigration: Migration = { version: 7, name: "ledger partitions, hourly rollups, alerts, repricing", sql: sqlite, postgres };
