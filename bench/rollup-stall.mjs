#!/usr/bin/env node
// The event-loop stall of the hour-end rollup on SQLite (docs/benchmarks.md, "Fifth session").
//
//   npm run build && node bench/rollup-stall.mjs [--rows 150000] [--rounds 2] [--write-rate RECORDS_PER_S]
//
// One hour (the last of a UTC day) gets `--rows` requests (each with an attempt and a tag row,
// generated in the database as bench/ledger.mjs does), its day's other 23 hours get rollups like
// it, and the ledger's maintenance then runs once at the end of that hour, as a gateway's would.
// Each round runs it on the event loop (a store without `queryInWorker`: as before this change,
// and as for `sqlite::memory:`) and through the worker, each time with the hour marked again, and
// lets the writer run 3 s alone (what the machine itself adds to the stalls). Meanwhile a writer
// inserts records into the next hour through the ledger's own insert path, a batch every 200 ms
// as the LedgerWriter flushes, at the rolled-up hour's rate (or `--write-rate`).
//
// Reported per run: the longest event-loop stall (perf_hooks monitorEventLoopDelay, 1 ms
// resolution) and its p99, the maintenance's longest transaction (SQLite holds the event loop
// through each), the run's wall time, how late the writer's most delayed batch was, and a digest
// of the rollup tables (both ways must write the same rows).
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({ options: { rows: { type: "string", default: "150000" }, rounds: { type: "string", default: "2" }, "write-rate": { type: "string" } } });
const ROWS = Number(args.rows);
/** Records per second the writer adds meanwhile: by default the rolled-up hour's own rate. */
const WRITE_RATE = Number(args["write-rate"] ?? ROWS / 3600);
/** The LedgerWriter's default flush interval. */
const FLUSH_MS = 200;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The last hour of yesterday (UTC): the maintenance run recomputes its whole day's rows from 24 hours. */
const HOUR_START = Math.floor(Date.now() / DAY) * DAY - HOUR;

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { openStore } = await import(dist("store/open-store.js"));
const { insertRecords } = await import(dist("ledger/insert-records.js"));
const { LedgerMaintenance } = await import(dist("ledger/ledger-maintenance.js"));

const REQUEST_COLUMNS = `id, seq, started_at, key_id, user_id, team_id, tags, route, api, stream, status, outcome, provider, model, attempts, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos, saved_nanos, cache_hit, latency_ms, ttft_ms,
  attempt_errors, retries, fallbacks, providers`;
const at = (g) => `${HOUR_START} + ((${g} - 1) * ${HOUR} / ${ROWS})`;
// The columns of bench/ledger.mjs: 500 keys, 12 models, 5 routes, 3 providers, 2 % errors.
const requestValues = (g) => `'gen_' || ${g}, ${g}, ${at(g)}, 'key_' || (${g} % 500), 'user_' || (${g} % 500 % 100), 'team_' || (${g} % 500 % 10),
  '{}', 'route_' || (${g} % 5), 'openai-chat', 1, CASE WHEN ${g} % 50 = 0 THEN 502 ELSE 200 END, CASE WHEN ${g} % 50 = 0 THEN 'failed' ELSE 'complete' END,
  'prov_' || (${g} % 3), 'model_' || (${g} % 12), 1, 500 + ${g} % 1000, 100 + ${g} % 300, 0, 0, 0, 'reported', 1000 + ${g} % 5000, 0, 0, 200 + ${g} % 3000, 100 + ${g} % 500,
  CASE WHEN ${g} % 50 = 0 THEN 1 ELSE 0 END, 0, 0, 1`;
const attemptValues = (g) => `'gen_' || ${g}, 1, 'prov_' || (${g} % 3), 'model_' || (${g} % 12), ${at(g)} + 1, 200 + ${g} % 3000, 100 + ${g} % 500,
  CASE WHEN ${g} % 50 = 0 THEN 'error' ELSE 'ok' END, 500 + ${g} % 1000, 100 + ${g} % 300, 0, 0, 0, 'reported', 1000 + ${g} % 5000`;
const tagValues = (g) => `'gen_' || ${g}, 'env', CASE ${g} % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'dev' ELSE 'staging' END, ${at(g)}, 1000 + ${g} % 5000, 0, 500 + ${g} % 1000, 100 + ${g} % 300`;

async function generate(sql) {
  const series = `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${ROWS})`;
  await sql.transaction(async (tx) => {
    await tx.exec(`${series} INSERT INTO tollgate_requests (${REQUEST_COLUMNS}) SELECT ${requestValues("g")} FROM s;
      ${series} INSERT INTO tollgate_attempts (request_id, attempt, provider, model, started_at, duration_ms, ttft_ms, status, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_source, cost_nanos) SELECT ${attemptValues("g")} FROM s;
      ${series} INSERT INTO tollgate_request_tags (request_id, name, value, started_at, cost_nanos, saved_nanos, input_tokens, output_tokens) SELECT ${tagValues("g")} FROM s;`);
  });
}

/** A gateway's record in the hour after the rolled-up one. */
let written = 0;
function record() {
  const i = written++;
  const usage = { inputTokens: 500 + (i % 1000), outputTokens: 100 + (i % 300), cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  const startedAt = HOUR_START + HOUR + 60_000 + i;
  return {
    id: `live_${i}_${randomBytes(3).toString("hex")}`,
    api: "openai-chat",
    startedAt,
    route: `route_${i % 5}`,
    identity: { keyId: `key_${i % 500}`, tags: { env: "prod" } },
    stream: true,
    status: 200,
    outcome: "complete",
    attempts: [{ attempt: 1, provider: `prov_${i % 3}`, model: `model_${i % 12}`, startedAt: startedAt + 1, durationMs: 300, ttftMs: 120, status: "ok", usage, costNanos: 1500 }],
    usage,
    costNanos: 1500,
    latencyMs: 300,
    ttftMs: 120,
  };
}

/** The rollup tables' rows for the day, in key order, hashed: equal digests, equal rows. */
async function digest(sql) {
  const hash = createHash("sha256");
  for (const table of ["tollgate_usage_hourly", "tollgate_usage_daily", "tollgate_latency_hourly", "tollgate_latency_daily"]) {
    const time = table.endsWith("hourly") ? "hour" : "day";
    const rows = await sql.query(`SELECT * FROM ${table} WHERE ${time} >= $1 ORDER BY dim, ${time}, grp${table.includes("latency") ? ", metric, bucket" : ""}`, [HOUR_START - 23 * HOUR]);
    hash.update(`${table}:${JSON.stringify(rows)}`);
  }
  return hash.digest("hex").slice(0, 12);
}

async function markHour(sql) {
  for (const table of ["tollgate_rollup_dirty", "tollgate_latency_dirty"]) await sql.query(`INSERT INTO ${table} (hour) VALUES ($1) ON CONFLICT (hour) DO NOTHING`, [HOUR_START]);
}

/** One maintenance run at the end of the hour (none: the writer alone for 3 s), with the writer going and the event loop watched. */
async function measure(sql, name, run = true) {
  if (run) await markHour(sql);
  // The maintenance's transactions timed: on SQLite each holds the event loop from start to end.
  let longestTransaction = 0;
  const timed = {
    ...sql,
    async transaction(fn) {
      const t = performance.now();
      try {
        return await sql.transaction(fn);
      } finally {
        longestTransaction = Math.max(longestTransaction, performance.now() - t);
      }
    },
  };
  const maintenance = new LedgerMaintenance(timed, {
    retention: {},
    intervalMs: 60_000,
    onError: (err) => console.error(`  maintenance failed: ${err}`),
    onWarning: (message) => console.error(`  maintenance warned: ${message}`),
    now: () => HOUR_START + HOUR + 60_000,
  });
  let writing = true;
  let longestWriteGap = 0;
  const writer = (async () => {
    let last = performance.now();
    let owed = 0;
    while (writing) {
      owed += (WRITE_RATE * FLUSH_MS) / 1000;
      const batch = Math.floor(owed);
      owed -= batch;
      if (batch > 0)
        await insertRecords(
          sql,
          Array.from({ length: batch }, () => record()),
        );
      longestWriteGap = Math.max(longestWriteGap, performance.now() - last);
      last = performance.now();
      await sleep(FLUSH_MS);
    }
  })();
  // Enabled ahead: the monitor's first tick only starts its clock.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await sleep(200);
  const t = performance.now();
  const idle = async () => {
    await sleep(3_000);
    return { refreshedHours: 0, refreshedLatencyHours: 0 };
  };
  const report = await (run ? maintenance.runOnce() : idle());
  const wall = performance.now() - t;
  // The run's promises settle in microtasks: the monitor's timer records a stall only on the loop's next turn.
  await sleep(20);
  delay.disable();
  writing = false;
  await writer;
  const row = {
    path: name,
    refreshed: `${report.refreshedHours}+${report.refreshedLatencyHours}`,
    wallMs: Math.round(wall),
    maxStallMs: +(delay.max / 1e6).toFixed(1),
    p99StallMs: +(delay.percentile(99) / 1e6).toFixed(1),
    longestTransactionMs: +longestTransaction.toFixed(1),
    writerLateMs: +(longestWriteGap - FLUSH_MS).toFixed(1),
    digest: await digest(sql),
  };
  console.log(`  ${JSON.stringify(row)}`);
  return row;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-rollup-stall-"));
const sql = await openStore(`sqlite:${path.join(dir, "ledger.db")}`);
try {
  console.log(
    `tollgate rollup-stall: ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, load ${os.loadavg()[0].toFixed(1)}, ${ROWS.toLocaleString()} requests in ${new Date(HOUR_START).toISOString()}, writer ${WRITE_RATE.toFixed(0)} records/s`,
  );
  const t = performance.now();
  await generate(sql);
  console.log(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // The hour's rollups, then the same rows for the day's 23 other hours: the day's recompute reads 24 hours, as at 23:00 UTC.
  const onLoop = { ...sql, queryInWorker: undefined };
  await new LedgerMaintenance(onLoop, { retention: {}, intervalMs: 60_000, onError: () => {}, now: () => HOUR_START + HOUR }).runOnce();
  for (const table of ["tollgate_usage_hourly", "tollgate_latency_hourly"]) {
    const columns = (await sql.query(`SELECT name FROM pragma_table_info('${table}')`)).map((c) => c.name).filter((c) => c !== "hour");
    await sql.exec(
      `WITH RECURSIVE k(back) AS (SELECT 1 UNION ALL SELECT back + 1 FROM k WHERE back < 23)
       INSERT INTO ${table} (hour, ${columns.join(", ")}) SELECT ${HOUR_START} - back * ${HOUR}, ${columns.join(", ")} FROM ${table} CROSS JOIN k WHERE hour = ${HOUR_START}`,
    );
  }
  await sql.exec("ANALYZE");
  const rows = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    rows.push(await measure(sql, "no rollup (the machine's noise)", false));
    rows.push(await measure(onLoop, "event loop (before)"));
    rows.push(await measure(sql, "worker (after)"));
  }
  console.log(JSON.stringify(rows));
} finally {
  await sql.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
