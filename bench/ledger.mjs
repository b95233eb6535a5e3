#!/usr/bin/env node
// The ledger at scale (docs/benchmarks.md#ledger-at-scale). Every phase is bounded in time.
//
//   npm run bench:ledger -- --rows 20000000 --sqlite-rows 5000000     PostgreSQL, then SQLite (no defaults: CI never runs it)
//   npm run bench:ledger -- --rows 20000000 --only postgres --ingest-seconds 180 --runs 20
//   Two steps on one kept schema (a bulk load, then later the measured run on the code under test):
//   ... --only postgres --phase load --schema bench_20m --now MS --rows 18000000
//   ... --only postgres --phase measure --schema bench_20m --now MS --rows 20000000
//
// PostgreSQL runs in a database of its own (`--pg-url`, default .../bench_ledger; created if missing, never dropped here).
//
// 1. Sustained ingest through the ledger's own insert path (insertRecords, batches of 500, times spread over the 30 days):
//    3 writers on PostgreSQL, each its own pool as 3 gateway instances would be; 1 on SQLite.
// 2. The rest of the rows generated inside the database (the rollup triggers fire as for any insert),
//    spread over the 30 days before now.
// 3. The hourly rollups computed, as the ledger's maintenance does for hours that got rows.
// 4. Every dashboard and usage query over the 30 days, `--runs` times each: p50 / p95 / max.
// 5. PostgreSQL: dropping the oldest day's partitions (all four ledger tables).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";

const { values: args } = parseArgs({
  options: {
    /** PostgreSQL rows (requests); `--pg-rows` is the same. */
    rows: { type: "string" },
    "pg-rows": { type: "string" },
    "sqlite-rows": { type: "string" },
    only: { type: "string" },
    "ingest-seconds": { type: "string", default: "20" },
    "ingest-at": { type: "string", default: "now" },
    runs: { type: "string", default: "20" },
    "pg-url": { type: "string", default: process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/bench_ledger" },
    /** all: one run; load: generate into --schema and keep it; measure: ingest, roll up, query and drop a day on a loaded --schema; queries: roll up and query only (no ingest, no drop). */
    phase: { type: "string", default: "all" },
    schema: { type: "string" },
    /** Epoch ms the 30 days end at; give the same value to both phases. */
    now: { type: "string" },
    /** Concurrent generators (PostgreSQL). */
    loaders: { type: "string", default: "2" },
    /** Generated rows are numbered from this + 1 (a second load into the same schema). */
    "id-offset": { type: "string", default: "0" },
    keep: { type: "boolean", default: false },
  },
});
const PG_ROWS = args.rows ?? args["pg-rows"];
const SQLITE_ROWS = args["sqlite-rows"];
if ((args.only !== "sqlite" && PG_ROWS === undefined) || (args.only !== "postgres" && SQLITE_ROWS === undefined) || !["all", "load", "measure", "queries"].includes(args.phase)) {
  console.error("usage: npm run bench:ledger -- --rows N --sqlite-rows N [--only postgres|sqlite] [--phase all|load|measure --schema NAME --now MS] (see the top of bench/ledger.mjs)");
  process.exit(2);
}
const INGEST_S = Number(args["ingest-seconds"]);
const RUNS = Number(args.runs);
const DAY = 86_400_000;
const NOW = args.now ? Number(args.now) : Date.now();
const FROM = NOW - 30 * DAY;

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { openStore } = await import(dist("store/open-store.js"));
const { insertRecords } = await import(dist("ledger/insert-records.js"));
const { queryUsage } = await import(dist("ledger/usage-query.js"));
const { querySummary } = await import(dist("ledger/summary-query.js"));
const { queryLatency } = await import(dist("ledger/latency-query.js"));
const { queryProviderHealth } = await import(dist("ledger/provider-health-query.js"));
const { queryRecentRequests } = await import(dist("ledger/recent-requests-query.js"));
const { queryActiveSubjects } = await import(dist("ledger/active-subjects-query.js"));
const { ensureDayPartition, dropPartitionsBefore, dayStart } = await import(dist("ledger/partitions.js"));
const { refreshRollups } = await import(dist("ledger/rollups.js"));
const { refreshLatencyRollups } = await import(dist("ledger/latency-rollups.js"));

const KEYS = 500;
const MODELS = 12;
const log = (...a) => console.log(...a);
const ms = (v) => `${v.toFixed(1)} ms`;

/** A record like the gateway's, for the ingest phase. */
function record(i, at) {
  const key = i % KEYS;
  const usage = { inputTokens: 500 + (i % 1000), outputTokens: 100 + (i % 300), cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  return {
    id: `ing_${i}_${randomBytes(3).toString("hex")}`,
    api: "openai-chat",
    startedAt: at,
    route: `route_${i % 5}`,
    identity: { keyId: `key_${key}`, userId: `user_${key % 100}`, teamId: `team_${key % 10}`, tags: { env: ["prod", "dev", "staging"][i % 3] } },
    stream: true,
    status: i % 50 === 0 ? 502 : 200,
    outcome: i % 50 === 0 ? "failed" : "complete",
    attempts: [
      {
        attempt: 1,
        provider: `prov_${i % 3}`,
        model: `model_${i % MODELS}`,
        startedAt: at + 1,
        durationMs: 200 + (i % 3000),
        ttftMs: 100 + (i % 500),
        status: i % 50 === 0 ? "error" : "ok",
        usage,
        costNanos: 1000 + (i % 5000),
      },
    ],
    usage,
    costNanos: 1000 + (i % 5000),
    latencyMs: 200 + (i % 3000),
    ttftMs: 100 + (i % 500),
  };
}

/**
 * Writers each insert batches of 500 for `seconds`; rows/s over the whole window. Rows are
 * stamped as a gateway stamps them (`--ingest-at now`: the real clock, into today's
 * partition, after the 30 days the queries read when `--now` is earlier) or spread over the
 * 30 days (`--ingest-at spread`, every day's partition and index at once).
 */
async function ingest(stores, seconds) {
  const stamp = args["ingest-at"] === "spread" ? () => FROM + Math.floor(Math.random() * 30 * DAY) : () => Date.now();
  let total = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (sql, w) => {
      let i = w * 1e9;
      while (performance.now() < until) {
        const batch = Array.from({ length: 500 }, () => record(i++, stamp()));
        await insertRecords(sql, batch);
        total += batch.length;
      }
    }),
  );
  return { rows: total, rowsPerSecond: total / ((performance.now() - t0) / 1000) };
}

/** Row g's start: rows OFFSET+1 .. OFFSET+n spread evenly over the 30 days (`--id-offset` adds rows to a loaded schema). */
const OFFSET = Number(args["id-offset"]);
const at = (g, n) => `${FROM} + ((${g} - ${OFFSET}) * ${30 * DAY} / ${n})`;
const REQUEST_COLUMNS = `id, seq, started_at, key_id, user_id, team_id, tags, route, api, stream, status, outcome, provider, model, attempts, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos, saved_nanos, cache_hit, latency_ms, ttft_ms,
  attempt_errors, retries, fallbacks, providers`;
/** Generated columns of row g (an integer expression), `n` rows over the 30 days; the attempt outcomes as the writer counts them (one attempt, failed on 2 %). */
const requestValues = (g, n) => `'gen_' || ${g}, ${g}, ${at(g, n)}, 'key_' || (${g} % ${KEYS}), 'user_' || (${g} % ${KEYS} % 100), 'team_' || (${g} % ${KEYS} % 10),
  '{}', 'route_' || (${g} % 5), 'openai-chat', 1, CASE WHEN ${g} % 50 = 0 THEN 502 ELSE 200 END, CASE WHEN ${g} % 50 = 0 THEN 'failed' ELSE 'complete' END,
  'prov_' || (${g} % 3), 'model_' || (${g} % ${MODELS}), 1, 500 + ${g} % 1000, 100 + ${g} % 300, 0, 0, 0, 'reported', 1000 + ${g} % 5000, 0, 0, 200 + ${g} % 3000, 100 + ${g} % 500,
  CASE WHEN ${g} % 50 = 0 THEN 1 ELSE 0 END, 0, 0, 1`;
const tagValues = (g, n) => `'gen_' || ${g}, 'env', CASE ${g} % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'dev' ELSE 'staging' END, ${at(g, n)}, 1000 + ${g} % 5000, 0, 500 + ${g} % 1000, 100 + ${g} % 300`;
const attemptValues = (g, n) => `'gen_' || ${g}, 1, 'prov_' || (${g} % 3), 'model_' || (${g} % ${MODELS}), ${at(g, n)} + 1, 200 + ${g} % 3000, 100 + ${g} % 500,
  CASE WHEN ${g} % 50 = 0 THEN 'error' ELSE 'ok' END, 500 + ${g} % 1000, 100 + ${g} % 300, 0, 0, 0, 'reported', 1000 + ${g} % 5000`;

/**
 * Rows 1..n (`n` rows over the 30 days) from `clients` at once, 100,000 rows a statement, each
 * client through a connection of its own: a bulk load, not bound by the store's 15 s statement timeout.
 */
async function generatePostgres(clients, n) {
  const chunk = 100_000;
  const t0 = performance.now();
  let next = OFFSET + 1;
  const last = OFFSET + n;
  let done = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next <= last) {
        const lo = next;
        const hi = Math.min(last, lo + chunk - 1);
        next = hi + 1;
        await client.query(`INSERT INTO tollgate_requests_p (${REQUEST_COLUMNS}) SELECT ${requestValues("g", n)} FROM generate_series(${lo}::bigint, ${hi}) g;
          INSERT INTO tollgate_attempts_p (request_id, attempt, provider, model, started_at, duration_ms, ttft_ms, status, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos) SELECT ${attemptValues("g", n)} FROM generate_series(${lo}::bigint, ${hi}) g;
          INSERT INTO tollgate_request_tags_p (request_id, name, value, started_at, cost_nanos, saved_nanos, input_tokens, output_tokens) SELECT ${tagValues("g", n)} FROM generate_series(${lo}::bigint, ${hi}) g;`);
        done += hi - lo + 1;
        process.stdout.write(`\r  generated ${done.toLocaleString()} / ${n.toLocaleString()} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }),
  );
  process.stdout.write("\n");
  const seconds = (performance.now() - t0) / 1000;
  log(`  bulk load: ${n.toLocaleString()} requests (and as many attempt and tag rows) in ${seconds.toFixed(0)} s = ${Math.round(n / seconds).toLocaleString()} requests/s`);
  await clients[0].query("ANALYZE");
  return { rows: n, seconds };
}

async function generateSqlite(sql, n) {
  const chunk = 250_000;
  const t0 = performance.now();
  for (let lo = 1; lo <= n; lo += chunk) {
    const hi = Math.min(n, lo + chunk - 1);
    const series = `WITH RECURSIVE s(g) AS (SELECT ${lo} UNION ALL SELECT g + 1 FROM s WHERE g < ${hi})`;
    await sql.transaction(async (tx) => {
      await tx.exec(`${series} INSERT INTO tollgate_requests (${REQUEST_COLUMNS}) SELECT ${requestValues("g", n)} FROM s;
        ${series} INSERT INTO tollgate_attempts (request_id, attempt, provider, model, started_at, duration_ms, ttft_ms, status, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos) SELECT ${attemptValues("g", n)} FROM s;
        ${series} INSERT INTO tollgate_request_tags (request_id, name, value, started_at, cost_nanos, saved_nanos, input_tokens, output_tokens) SELECT ${tagValues("g", n)} FROM s;`);
    });
    process.stdout.write(`\r  generated ${hi.toLocaleString()} / ${n.toLocaleString()} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  process.stdout.write("\n");
  await sql.exec("ANALYZE");
}

/** The queries behind /admin/usage, /admin/summary, /admin/performance, /admin/requests and /admin/budgets, over the 30 days. */
function queries(sql) {
  // Not on the hour: the partial hours at both ends come from raw rows, as a real request would.
  const from = FROM + 7 * 60_000 + 123;
  const to = NOW;
  const list = [];
  for (const groupBy of ["key", "user", "team", "model", "route"]) list.push([`usage group_by=${groupBy}`, () => queryUsage(sql, { groupBy, from, to })]);
  list.push(["usage group_by=tag (env)", () => queryUsage(sql, { groupBy: "tag", tag: "env", from, to })]);
  list.push(["usage group_by=model granularity=day", () => queryUsage(sql, { groupBy: "model", from, to, granularity: "day" })]);
  list.push(["usage group_by=model granularity=hour", () => queryUsage(sql, { groupBy: "model", from, to, granularity: "hour" })]);
  list.push(["summary", () => querySummary(sql, from, to)]);
  list.push(["requests (latest 50)", () => queryRecentRequests(sql, { limit: 50, errorsOnly: false })]);
  list.push(["requests (latest 50 errors)", () => queryRecentRequests(sql, { limit: 50, errorsOnly: true })]);
  list.push(["budgets: active keys this month", () => queryActiveSubjects(sql, "key", dayStart(NOW) - 29 * DAY, 100)]);
  list.push(["performance: latency by route (30 days)", () => queryLatency(sql, { groupBy: "route", from, to })]);
  list.push(["performance: latency by model, daily series", () => queryLatency(sql, { groupBy: "model", from, to, bucketMs: DAY })]);
  list.push(["performance: latency by provider, hourly series", () => queryLatency(sql, { groupBy: "provider", from, to, bucketMs: 3_600_000 })]);
  list.push(["performance: provider health (30 days)", () => queryProviderHealth(sql, from, to)]);
  list.push(["performance: latency by route (24 h)", () => queryLatency(sql, { groupBy: "route", from: to - DAY, to })]);
  return list;
}

/** Every marked hour's rollups and latency histograms computed, by every store's maintenance at once (they claim hours, never the same one). */
async function refresh(stores) {
  const t = performance.now();
  let hours = 0;
  let latencyHours = 0;
  await Promise.all(
    stores.map(async (sql) => {
      for (let n; (n = await refreshRollups(sql, 1_000)) > 0; ) hours += n;
      for (let n; (n = await refreshLatencyRollups(sql, 1_000)) > 0; ) latencyHours += n;
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  log(`  rollups: ${hours} hours of usage and ${latencyHours} of latency histograms computed in ${seconds.toFixed(1)} s by ${stores.length} instances at once`);
  return { hours, latencyHours, seconds, instances: stores.length };
}

async function timeQueries(sql, budgetMs) {
  const results = [];
  for (const [name, run] of queries(sql)) {
    const times = [];
    const deadline = performance.now() + 30_000;
    let failed;
    for (let i = 0; i < RUNS && performance.now() < deadline; i++) {
      const t = performance.now();
      try {
        await run();
      } catch (err) {
        // The store's statement timeout (15 s) is what a dashboard request would hit too.
        failed = err.message;
        break;
      }
      times.push(performance.now() - t);
    }
    if (failed) {
      results.push({ name, runs: times.length, failed });
      log(`  ${name.padEnd(42)} FAILED: ${failed}`);
      continue;
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
    const row = { name, runs: times.length, p50: at(50), p95: at(95), max: times.at(-1), ok: at(95) < budgetMs };
    results.push(row);
    log(`  ${name.padEnd(42)} p50 ${ms(row.p50).padStart(10)}  p95 ${ms(row.p95).padStart(10)}  max ${ms(row.max).padStart(10)}  ${row.ok ? "ok" : `OVER ${budgetMs} ms`}`);
  }
  return results;
}

/** The bench's own database beside the shared ones: created when missing (from the server's `test` database). */
async function ensureDatabase(url) {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/test" }).href });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

async function withLoaders(schema, count, fn) {
  const clients = [];
  try {
    for (let i = 0; i < count; i++) {
      const c = new pg.Client({ connectionString: args["pg-url"], options: `-c search_path=${schema}` });
      await c.connect();
      clients.push(c);
    }
    return await fn(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function benchPostgres(rows) {
  await ensureDatabase(args["pg-url"]);
  const schema = args.schema ?? `bench_ledger_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: args["pg-url"] });
  await admin.connect();
  if (args.phase === "all" || args.phase === "load") await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const url = `${args["pg-url"]}${args["pg-url"].includes("?") ? "&" : "?"}schema=${schema}`;
  const stores = [];
  // Only a one-step run drops its schema: a loaded schema is never lost to a failed later step.
  const keep = args.keep || args.phase !== "all";
  try {
    for (let i = 0; i < 3; i++) stores.push(await openStore(url));
    const sql = stores[0];
    log(`PostgreSQL (${args["pg-url"]}, schema ${schema}, phase ${args.phase}): ${rows.toLocaleString()} requests over the 30 days before ${new Date(NOW).toISOString()}`);
    for (let day = dayStart(FROM); day <= dayStart(NOW) + DAY; day += DAY) await ensureDayPartition(sql, day);
    if (args.phase === "load") {
      const load = await withLoaders(schema, Number(args.loaders), (clients) => generatePostgres(clients, rows));
      return { rows, load };
    }
    const ing = args.phase === "queries" ? undefined : await ingest(stores, INGEST_S);
    if (ing) {
      log(`  ingest: ${ing.rows.toLocaleString()} requests in ${INGEST_S} s from 3 writers = ${Math.round(ing.rowsPerSecond).toLocaleString()} requests/s (each with 1 attempt and 1 tag row)`);
    }
    // Rows stamped now lie after the 30 days read (see ingest): the 30 days get all `rows`.
    const inWindow = args["ingest-at"] === "spread" && ing ? ing.rows : 0;
    const load = args.phase === "all" ? await withLoaders(schema, Number(args.loaders), (clients) => generatePostgres(clients, rows - inWindow)) : undefined;
    const [{ n: total, window }] = await sql.query("SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE started_at >= $1 AND started_at < $2) AS window FROM tollgate_ledger_requests", [FROM, NOW]);
    log(`  requests in the ledger: ${Number(total).toLocaleString()}, of which ${Number(window).toLocaleString()} in the 30 days queried`);
    const rollups = await refresh(stores);
    const [size] = await sql.query(
      "SELECT pg_size_pretty(SUM(pg_total_relation_size(c.oid))) AS size, (SELECT COUNT(*) FROM tollgate_usage_hourly) AS rollup_rows, (SELECT COUNT(*) FROM tollgate_latency_hourly) AS latency_rows FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'",
    );
    log(`  database: ${size.size}; rollup rows: ${size.rollup_rows.toLocaleString()} usage, ${size.latency_rows.toLocaleString()} latency histogram (hourly)`);
    const results = await timeQueries(sql, 200);
    // Not when only re-running the queries: the next run would find the first day's raw rows (its partial hour) gone.
    if (args.phase === "queries") return { rows: Number(total), inWindow: Number(window), rollups, results };
    const t = performance.now();
    const dropped = await dropPartitionsBefore(sql, dayStart(FROM) + DAY);
    const dropMs = performance.now() - t;
    log(`  dropping the oldest day (${dropped.map((d) => new Date(d).toISOString().slice(0, 10)).join(", ")}; 4 tables): ${ms(dropMs)}`);
    return { rows: Number(total), inWindow: Number(window), ingest: ing, load, rollups, results, dropMs, size: size.size, rollupRows: size.rollup_rows, latencyRows: size.latency_rows };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    if (!keep) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

async function benchSqlite(rows) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-bench-ledger-"));
  const file = path.join(dir, "ledger.db");
  const sql = await openStore(`sqlite:${file}`);
  try {
    log(`SQLite (${file}): ${rows.toLocaleString()} requests over 30 days`);
    const ing = await ingest([sql], INGEST_S);
    log(`  ingest: ${ing.rows.toLocaleString()} requests in ${INGEST_S} s from 1 writer = ${Math.round(ing.rowsPerSecond).toLocaleString()} requests/s`);
    await generateSqlite(sql, rows - (args["ingest-at"] === "spread" ? ing.rows : 0));
    const rollups = await refresh([sql]);
    const bytes = fs.statSync(file).size;
    log(`  database: ${(bytes / 2 ** 20).toFixed(0)} MiB`);
    const results = await timeQueries(sql, 500);
    return { rows, ingest: ing, rollups, results, size: `${(bytes / 2 ** 20).toFixed(0)} MiB` };
  } finally {
    await sql.close();
    if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

log(`tollgate bench:ledger: ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, ${new Date(NOW).toISOString()}`);
const out = {};
if (args.only !== "sqlite") out.postgres = await benchPostgres(Number(PG_ROWS));
if (args.only !== "postgres") out.sqlite = await benchSqlite(Number(SQLITE_ROWS));
log(JSON.stringify(out));
