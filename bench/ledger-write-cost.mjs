#!/usr/bin/env node
// The SQLite ledger's write cost per record, measured directly (npm run bench:ledger-write, about
// half a minute): CPU (user + system, every thread) per record for transactions of 1, 20 and 200
// typical records (one attempt, two tags), through the writer's insert path on a file-backed
// SQLite database with the real migrations (WAL, as the gateway opens it). No ports.
// DIST=/other/dist measures another build; DIST=a,b measures builds in one process, alternating
// round by round (this machine's CPU time per record drifts over a minute: a round of each build
// seconds apart is a pair), and prints the median of the pairs' differences from the first build.
// ROUNDS=n repeats each size (median and range printed).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DISTS = (process.env.DIST ?? path.join(ROOT, "dist")).split(",").map((d) => path.resolve(ROOT, d));
const builds = await Promise.all(
  DISTS.map(async (dist) => ({
    dist,
    openStore: (await import(path.join(dist, "store/open-store.js"))).openStore,
    insertRecords: (await import(path.join(dist, "ledger/insert-records.js"))).insertRecords,
  })),
);
const RECORDS = Number(process.env.N ?? 6_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SIZES = (process.env.SIZES ?? "1,20,200").split(",").map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-ledger-write-bench-"));

/** A request record as the meter makes it for a chat answer with two tags (the gateway's id format). */
function record() {
  const startedAt = Date.now();
  const usage = { inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  return {
    id: `req_${startedAt.toString(36)}${randomUUID().slice(0, 13).replace("-", "")}`,
    api: "openai-chat",
    startedAt,
    route: "fast",
    identity: { keyId: "key_5f0c1a2b3c4d5e6f", userId: "bob", teamId: "red", tags: { env: "prod", feature: "search" } },
    stream: false,
    status: 200,
    outcome: "complete",
    attempts: [{ attempt: 1, provider: "mock", model: "mock-model", startedAt: startedAt + 1, durationMs: 23.9, status: "ok", usage, costNanos: 316000 }],
    usage,
    costNanos: 316000,
    latencyMs: 24.4,
  };
}

/** CPU µs per record writing `total` records in transactions of `size`, on a fresh database. */
async function measure({ openStore, insertRecords }, size, total) {
  const file = path.join(dir, `${size}-${randomUUID()}.db`);
  const sql = await openStore(`sqlite:${file}`);
  try {
    // Warm the JIT and the statement cache on the same path, and give the tables some rows.
    for (let i = 0; i < 2_000; i += size) await insertRecords(sql, Array.from({ length: size }, record));
    const batches = Array.from({ length: Math.ceil(total / size) }, () => Array.from({ length: size }, record));
    const before = process.cpuUsage();
    for (const batch of batches) await insertRecords(sql, batch);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (batches.length * size);
  } finally {
    await sql.close();
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`ledger write (SQLite, file, WAL), ${RECORDS} records per round, ${ROUNDS} rounds, ${DISTS.join(" vs ")}, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}:`);
for (const size of SIZES) {
  const runs = builds.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    // The order reverses every other round, so neither build always goes first.
    const order = builds.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) runs[i].push(await measure(builds[i], size, size === 1 ? RECORDS / 4 : RECORDS));
  }
  builds.forEach((build, i) => {
    const paired = i === 0 ? "" : `, paired difference ${median(runs[i].map((x, r) => x - runs[0][r])).toFixed(1)}`;
    const name = builds.length > 1 ? ` ${path.relative(ROOT, build.dist) || build.dist}` : "";
    console.log(`  batch of ${String(size).padStart(3)}${name}: ${median(runs[i]).toFixed(1)} µs CPU/record (range ${Math.min(...runs[i]).toFixed(1)}–${Math.max(...runs[i]).toFixed(1)})${paired}`);
  });
}
fs.rmSync(dir, { recursive: true, force: true });
