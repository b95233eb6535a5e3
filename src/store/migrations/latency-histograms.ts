import type { Migration } from "../migration.js";

/**
 * Migration 12: per-hour latency histograms, so `/admin/performance` reads a month in a few
 * thousand rows instead of every request (docs/accounting.md#latency-percentiles-from-histograms).
 *
 * `tollgate_latency_hourly` holds, per hour, dimension (`all`, `route`, `model`, `provider`:
 * the request's columns) and group (`=value`, '' for none, as in `tollgate_usage_hourly`),
 * the count of requests per log-spaced bucket of `metric` `latency` or `ttft`, and two
 * one-bucket counters: `requests` and `errors` (status ≥ 400). Empty buckets have no row.
 * `tollgate_latency_daily` sums a UTC day's hours.
 *
 * Rolling deploy: the histograms have their own dirty marks, set by a trigger of their own on
 * every insert (of any instance and version, and rows moved out of the tables of before
 * migration 7), because instances of the previous version consume `tollgate_rollup_dirty`
 * without knowing the histograms. Only this version's maintenance reads these marks. Every
 * hour that has rows (its usage rollups, or its mark still waiting) is marked here, reading
 * the rollup tables, not the raw rows, so the migration takes milliseconds; until the
 * maintenance has computed them, reports read those hours from raw rows.
 */

const HOUR = 3_600_000;
const COMMON = `
  CREATE TABLE tollgate_latency_hourly (
    dim TEXT NOT NULL,
    hour BIGINT NOT NULL,
    grp TEXT NOT NULL,
    metric TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (dim, hour, grp, metric, bucket)
  );
  CREATE INDEX tollgate_latency_hourly_hour ON tollgate_latency_hourly (hour);
  CREATE TABLE tollgate_latency_daily (
    dim TEXT NOT NULL,
    day BIGINT NOT NULL,
    grp TEXT NOT NULL,
    metric TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (dim, day, grp, metric, bucket)
  );
  CREATE INDEX tollgate_latency_daily_day ON tollgate_latency_daily (day);
  CREATE TABLE tollgate_latency_dirty (hour BIGINT NOT NULL PRIMARY KEY);
  INSERT INTO tollgate_latency_dirty (hour)
    SELECT hour FROM (SELECT hour FROM tollgate_usage_hourly WHERE dim = 'all' UNION SELECT hour FROM tollgate_rollup_dirty) h WHERE true
    ON CONFLICT (hour) DO NOTHING;
`;

const sqlite = `
  ${COMMON}
  CREATE TRIGGER tollgate_requests_latency AFTER INSERT ON tollgate_requests BEGIN
    INSERT INTO tollgate_latency_dirty (hour) VALUES (NEW.started_at - NEW.started_at % ${HOUR}) ON CONFLICT (hour) DO NOTHING;
  END;
`;

const postgres = `
  ${COMMON}
  CREATE FUNCTION tollgate_requests_latency() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO tollgate_latency_dirty (hour) SELECT DISTINCT started_at - started_at % ${HOUR} FROM inserted ORDER BY 1 ON CONFLICT (hour) DO NOTHING;
    RETURN NULL;
  END $$;
  CREATE TRIGGER tollgate_requests_latency AFTER INSERT ON tollgate_requests_p REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tollgate_requests_latency();
`;

export const latencyHistogramsMigration: Migration = { version: 12, name: "latency histograms per hour", sql: sqlite, postgres };
