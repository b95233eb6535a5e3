#!/usr/bin/env node
// The ledger at scale (docs/benchmarks.md#ledger-at-scale). Every phase is bounded in time.
//
//   npm run bench:ledger                                  PostgreSQL, 20M rows, then SQLite, 5M rows
//   npm run bench:ledger -- --pg-rows 2000000 --sqlite-rows 1000000
//   npm run bench:ledger -- --only postgres|sqlite --ingest-seconds 20 --runs 20
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
    "pg-rows": { type: "string", default: "20000000" },
    "sqlite-rows": { type: "string", default: "5000000" },
    rows: { type: "string" },
    only: { type: "string" },
    "ingest-seconds": { type: "string", default: "20" },
    runs: { type: "string", default: "20" },
    "pg-url": { type: "string", default: process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
    keep: { type: "boolean", default: false },
  },
});
const INGEST_S = Number(args["ingest-seconds"]);
const RUNS = Number(args.runs);
const DAY = 86_400_000;
const NOW = Date.now();
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

/** Writers each insert batches of 500 for `seconds`; rows/s over the whole window. */
async function ingest(stores, seconds) {
  let total = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (sql, w) => {
      let i = w * 1e9;
      while (performance.now() < until) {
        // Spread over the 30 days like the generated rows: the dataset keeps the shape of 30 days of traffic
        // (rows written at 10k/s with the current time would put a third of it in the last hour).
        const batch = Array.from({ length: 500 }, () => record(i++, FROM + Math.floor(Math.random() * 30 * DAY)));
        await insertRecords(sql, batch);
        total += batch.length;
      }
    }),
  );
  return { rows: total, rowsPerSecond: total / ((performance.now() - t0) / 1000) };
}

const REQUEST_COLUMNS = `id, seq, started_at, key_id, user_id, team_id, tags, route, api, stream, status, outcome, provider, model, attempts, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos, saved_nanos, cache_hit, latency_ms, ttft_ms`;
/** Generated columns of row g (an integer expression), `n` rows over the 30 days. */
const requestValues = (g, n) => `'gen_' || ${g}, ${g}, ${FROM} + (${g} * ${30 * DAY} / ${n}), 'key_' || (${g} % ${KEYS}), 'user_' || (${g} % ${KEYS} % 100), 'team_' || (${g} % ${KEYS} % 10),
  '{}', 'route_' || (${g} % 5), 'openai-chat', 1, CASE WHEN ${g} % 50 = 0 THEN 502 ELSE 200 END, CASE WHEN ${g} % 50 = 0 THEN 'failed' ELSE 'complete' END,
  'prov_' || (${g} % 3), 'model_' || (${g} % ${MODELS}), 1, 500 + ${g} % 1000, 100 + ${g} % 300, 0, 0, 0, 'reported', 1000 + ${g} % 5000, 0, 0, 200 + ${g} % 3000, 100 + ${g} % 500`;
const tagValues = (g, n) =>
  `'gen_' || ${g}, 'env', CASE ${g} % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'dev' ELSE 'staging' END, ${FROM} + (${g} * ${30 * DAY} / ${n}), 1000 + ${g} % 5000, 0, 500 + ${g} % 1000, 100 + ${g} % 300`;
const attemptValues = (g, n) => `'gen_' || ${g}, 1, 'prov_' || (${g} % 3), 'model_' || (${g} % ${MODELS}), ${FROM} + (${g} * ${30 * DAY} / ${n}) + 1, 200 + ${g} % 3000, 100 + ${g} % 500,
  CASE WHEN ${g} % 50 = 0 THEN 'error' ELSE 'ok' END, 500 + ${g} % 1000, 100 + ${g} % 300, 0, 0, 0, 'reported', 1000 + ${g} % 5000`;

/** Through a connection of its own: generating is a bulk load, not bound by the store's 15 s statement timeout. */
async function generatePostgres(client, n) {
  const chunk = 100_000;
  const sql = { exec: (text) => client.query(text) };
  const t0 = performance.now();
  for (let lo = 1; lo <= n; lo += chunk) {
    const hi = Math.min(n, lo + chunk - 1);
    await sql.exec(`INSERT INTO tollgate_requests_p (${REQUEST_COLUMNS}) SELECT ${requestValues("g", n)} FROM generate_series(${lo}::bigint, ${hi}) g;
      INSERT INTO tollgate_attempts_p (request_id, attempt, provider, model, started_at, duration_ms, ttft_ms, status, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos) SELECT ${attemptValues("g", n)} FROM generate_series(${lo}::bigint, ${hi}) g;
      INSERT INTO tollgate_request_tags_p (request_id, name, value, started_at, cost_nanos, saved_nanos, input_tokens, output_tokens) SELECT ${tagValues("g", n)} FROM generate_series(${lo}::bigint, ${hi}) g;`);
    process.stdout.write(`\r  generated ${hi.toLocaleString()} / ${n.toLocaleString()} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  process.stdout.write("\n");
  await sql.exec("ANALYZE");
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
  list.push(["performance: provider health (30 days)", () => queryProviderHealth(sql, from, to)]);
  list.push(["performance: latency by route (24 h)", () => queryLatency(sql, { groupBy: "route", from: to - DAY, to })]);
  return list;
}

async function refresh(sql) {
  const t = performance.now();
  let hours = 0;
  for (let n; (n = await refreshRollups(sql, 1_000)) > 0; ) hours += n;
  const seconds = (performance.now() - t) / 1000;
  log(`  rollups: ${hours} hours computed in ${seconds.toFixed(1)} s (${((seconds * 1000) / Math.max(1, hours)).toFixed(0)} ms per hour)`);
  return { hours, seconds };
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

async function benchPostgres(rows) {
  const schema = `bench_ledger_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: args["pg-url"] });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${args["pg-url"]}${args["pg-url"].includes("?") ? "&" : "?"}schema=${schema}`;
  const stores = [];
  try {
    for (let i = 0; i < 3; i++) stores.push(await openStore(url));
    const sql = stores[0];
    log(`PostgreSQL (schema ${schema}): ${rows.toLocaleString()} requests over 30 days`);
    for (let day = dayStart(FROM); day <= dayStart(NOW) + DAY; day += DAY) await ensureDayPartition(sql, day);
    const ing = await ingest(stores, INGEST_S);
    log(`  ingest: ${ing.rows.toLocaleString()} requests in ${INGEST_S} s from 3 writers = ${Math.round(ing.rowsPerSecond).toLocaleString()} requests/s (each with 1 attempt and 1 tag row)`);
    const loader = new pg.Client({ connectionString: args["pg-url"], options: `-c search_path=${schema}` });
    await loader.connect();
    try {
      await generatePostgres(loader, rows - ing.rows);
    } finally {
      await loader.end();
    }
    const rollups = await refresh(sql);
    const [size] = await sql.query(
      "SELECT pg_size_pretty(SUM(pg_total_relation_size(c.oid))) AS size, (SELECT COUNT(*) FROM tollgate_usage_hourly) AS rollup_rows FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'",
    );
    log(`  database: ${size.size}; rollup rows: ${size.rollup_rows.toLocaleString()}`);
    const results = await timeQueries(sql, 200);
    const t = performance.now();
    const dropped = await dropPartitionsBefore(sql, dayStart(FROM) + DAY);
    const dropMs = performance.now() - t;
    log(`  dropping the oldest day (${dropped.map((d) => new Date(d).toISOString().slice(0, 10)).join(", ")}; 4 tables): ${ms(dropMs)}`);
    return { rows, ingest: ing, rollups, results, dropMs, size: size.size, rollupRows: size.rollup_rows };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    if (!args.keep) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
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
    await generateSqlite(sql, rows - ing.rows);
    const rollups = await refresh(sql);
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
if (args.only !== "sqlite") out.postgres = await benchPostgres(Number(args.rows ?? args["pg-rows"]));
if (args.only !== "postgres") out.sqlite = await benchSqlite(Number(args.rows ?? args["sqlite-rows"]));
log(JSON.stringify(out));
