#!/usr/bin/env node
// The budget stores' cost per request, measured directly (npm run bench:budgets, some 15 s):
// what a request pays for budgets on the built code (dist/): its counter lines, a reservation
// and a settlement, on the four counters bench/gateway.yaml gives every request (key: day usd,
// rpm, tpm; user: day usd), with CONCURRENCY requests in flight on the same counters, as the
// gateway benchmark runs them. Each request waits a random 0-2 ms between reserve and settle
// (its upstream call), so requests do not march in lockstep. Reported: CPU µs of this process
// per request (the harness alone is reported too, to subtract), and for Redis the commands
// and socket writes per request, the Redis server's CPU per request (INFO cpu: shared with
// anything else using that Redis) and how long a reservation waits for its answer, under that
// load and unloaded (one request at a time, 1-2 ms apart). The Redis store is measured with
// leases (RedisLeaseStore, what the gateway uses) and, for comparison, without
// (RedisBudgetStore, the releases before leases: one script per turn for every reservation and
// settlement). That one is test support now, left out of dist/: it is compiled from src/ into
// node_modules/.cache/tollgate-bench (where its imports resolve) first, a few seconds.
// Redis: BENCH_REDIS_URL (default the local one), keys under a prefix of this run, deleted
// afterwards.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (file) => import(path.join(ROOT, "dist/budgets", file));
const { MemoryBudgetStore } = await dist("memory-store.js");
// Builds before the store moved to test support have both in dist/budgets/redis-store.js.
const { BUDGET_REDIS_OPTIONS } = await dist("redis-client.js").catch(() => dist("redis-store.js"));
const { RedisBudgetStore } = await previousStore();
// Absent from builds before leases: then only the direct store is measured.
const { RedisLeaseStore } = await dist("redis-lease-store.js").catch(() => ({}));
const { FailoverBudgetStore } = await dist("failover-store.js");
const { linesFor, rulesFor } = await dist("counter-lines.js");
const { Redis } = await import("ioredis");

const N = Number(process.env.N ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const UNLOADED = Number(process.env.UNLOADED ?? 2_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `bench-budget-cost-${process.pid}`;
const TTL_MS = 600_000;
// AUTO_PIPELINING=1 or 0 overrides the client option, to compare.
const pipelining = process.env.AUTO_PIPELINING === undefined ? {} : { enableAutoPipelining: process.env.AUTO_PIPELINING === "1" };

// As bench/gateway.yaml and bench/run.mjs set them up: none of the limits is ever reached.
const configRules = [{ scope: "user", id: "*", period: "day", unit: "usd", limit: 1_000_000 * 1e9 }];
const identity = { keyId: "key_bench", userId: "bench-user", limits: { budgets: [{ period: "day", usd: 1_000_000 }], rpm: 1_000_000_000, tpm: 1_000_000_000_000 } };
// A chat request with max_tokens unset: worst case 16 + 4096 tokens; answered with 16 + 300.
const worst = { usdNanos: 16 * 150 + 4096 * 600, tokens: 16 + 4096, requests: 1 };
const actual = { usd: 16 * 150 + 300 * 600, tokens: 316, requests: 1 };

const upstream = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));

/** N requests through `store` (none: the harness alone), `concurrency` at a time; CPU µs per request. */
async function run(store, label, waits = [], n = N, concurrency = CONCURRENCY) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const id = `${label}-${next++}`;
      const rules = rulesFor(configRules, identity);
      const lines = linesFor(rules, identity, worst, Date.now());
      if (lines.length !== 4) throw new Error(`expected 4 counter lines, got ${lines.length}`);
      if (store) {
        const asked = performance.now();
        const result = await store.reserve(id, lines, TTL_MS);
        waits.push(performance.now() - asked);
        if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
      }
      await upstream();
      if (store)
        await store.settle(
          id,
          lines.map((l) => ({ counter: l.counter, windowEndsAt: l.windowEndsAt, amount: actual[l.rule.unit] })),
        );
    }
  };
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

/** RedisBudgetStore: from the sources when they keep it in test support, else from the build. */
async function previousStore() {
  const source = path.join(ROOT, "src/budgets/test-support/redis-store.ts");
  if (!fs.existsSync(source)) return dist("redis-store.js");
  const out = path.join(ROOT, "node_modules/.cache/tollgate-bench");
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const options = ["--outDir", out, "--rootDir", path.join(ROOT, "src"), "--module", "nodenext", "--target", "es2022", "--lib", "es2023", "--types", "node", "--skipLibCheck"];
  // Another process, so that the compiler's work and garbage stay out of this one's CPU time.
  execFileSync(process.execPath, [tsc, source, ...options], { stdio: "inherit" });
  return import(path.join(out, "budgets/test-support/redis-store.js"));
}

/** A client like the gateway's (BUDGET_REDIS_OPTIONS), counting the commands it sends and its socket writes. */
async function countingClient() {
  const client = new Redis(REDIS_URL, { ...BUDGET_REDIS_OPTIONS, ...pipelining, commandTimeout: 10_000 });
  client.on("error", () => {});
  await new Promise((resolve) => client.once("ready", resolve));
  const counts = { commands: 0, writes: 0 };
  const send = client.sendCommand;
  client.sendCommand = function (...args) {
    counts.commands++;
    return send.apply(this, args);
  };
  const write = client.stream.write;
  client.stream.write = function (...args) {
    counts.writes++;
    return write.apply(this, args);
  };
  return { client, counts };
}

async function redisCpuUs(admin) {
  const info = await admin.info("cpu");
  const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field("used_cpu_sys") + field("used_cpu_user")) * 1e6;
}

async function deleteOurKeys(admin) {
  let cursor = "0";
  do {
    const [nextCursor, keys] = await admin.scan(cursor, "MATCH", `{${PREFIX}*`, "COUNT", 1000);
    if (keys.length) await admin.unlink(...keys);
    cursor = nextCursor;
  } while (cursor !== "0");
}

const rows = [];
await run(undefined, "warm");
rows.push(["harness alone (counter lines, timers)", await run(undefined, "harness")]);
const memory = new MemoryBudgetStore();
await run(memory, "warm-memory");
rows.push(["memory store", await run(memory, "memory")]);

const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
const redisRows = [];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
try {
  await admin.connect();
  const stores = [
    ["redis store, leases (with failover)", RedisLeaseStore],
    ["redis store, no leases (with failover)", RedisBudgetStore],
  ].filter(([, Store]) => Store);
  for (const [label, Store] of stores) {
    const { client, counts } = await countingClient();
    // As createBudgetStore composes it: Redis, failing over to a local store.
    const store = new FailoverBudgetStore(new Store(client, `${PREFIX}-${redisRows.length}`), "closed", new MemoryBudgetStore(), console.error, { timeoutMs: 2_000 });
    await run(store, `warm-${label}`);
    const before = { ...counts };
    const serverBefore = await redisCpuUs(admin);
    const waits = [];
    const us = await run(store, label, waits);
    waits.sort((a, b) => a - b);
    const serverUs = ((await redisCpuUs(admin)) - serverBefore) / N;
    const row = { label, us, commands: (counts.commands - before.commands) / N, writes: (counts.writes - before.writes) / N, serverUs, p50: percentile(waits, 0.5), p99: percentile(waits, 0.99) };
    // Unloaded: one request at a time.
    const idle = [];
    await run(store, `idle-${label}`, idle, UNLOADED, 1);
    idle.sort((a, b) => a - b);
    row.idleP50 = percentile(idle, 0.5);
    row.idleP99 = percentile(idle, 0.99);
    redisRows.push(row);
    await store.close();
    client.disconnect();
  }
} catch (err) {
  console.error(`Redis at ${REDIS_URL}: ${err.message}; skipped.`);
} finally {
  await deleteOurKeys(admin).catch(() => {});
  admin.disconnect();
}

console.log(`budgets, ${N} requests (4 counters each), ${CONCURRENCY} in flight, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}:`);
for (const [label, us] of rows) console.log(`  ${label.padEnd(40)} ${us.toFixed(2)} µs CPU/request`);
for (const row of redisRows) {
  console.log(`  ${row.label.padEnd(40)} ${row.us.toFixed(2)} µs CPU/request`);
  console.log(`    ${row.commands.toFixed(3)} Redis commands/request, ${row.writes.toFixed(3)} socket writes/request, Redis server ${row.serverUs.toFixed(2)} µs CPU/request`);
  console.log(`    a reservation waits ${row.p50.toFixed(3)} ms (p50), ${row.p99.toFixed(3)} ms (p99) for its answer; unloaded ${row.idleP50.toFixed(3)} ms (p50), ${row.idleP99.toFixed(3)} ms (p99)`);
}
