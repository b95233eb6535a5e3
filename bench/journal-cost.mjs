#!/usr/bin/env node
// The ledger journal's cost per request, measured directly (npm run bench:journal, ~20 s): what
// the request path pays (one end line: the record serialised + write(2); one begin line before
// the upstream call for a request that makes one) and what commit notes add, on the built code.
// The background fdatasync every 250 ms runs on libuv's thread pool, off the event loop.
// Requests are as the gateway makes them: each has its own identity object (the key's limits
// and allow-lists included, left off the lines), the same from its begin line to its end line.
// DIST (comma-separated built trees, default dist/) compares builds in one process: each round
// gives every build a journal of its own and N requests (default 20000), in blocks of BLOCK
// (default 1000) alternated between the builds (first build first, then last first), so that a
// change in the machine's speed hits them alike. Medians and spreads over ROUNDS (default 7) of
// the main thread's CPU time (less skewed than wall time by other processes on the machine) and
// of each round's ratio to the first build.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DISTS = (process.env.DIST ?? "dist").split(",");
const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const BLOCK = Number(process.env.BLOCK ?? 1000);
const BATCH = 200;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-journal-bench-"));

const builds = [];
for (const dist of DISTS) builds.push({ label: dist, ...(await import(path.join(path.resolve(ROOT, dist), "ledger/journal.js"))) });

/** A request record as the meter makes it for a streamed chat answer with tags. */
function record(i) {
  const startedAt = Date.now();
  const usage = { inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  return {
    id: `req_${startedAt.toString(36)}${String(i).padStart(12, "0")}`,
    api: "openai-chat",
    startedAt,
    route: "fast",
    identity: { keyId: "key_5f0c1a2b3c4d5e6f", userId: "bob", tags: { env: "prod", feature: "search" }, limits: { rpm: 600, budgets: [{ period: "day", usd: 5 }] }, teamId: "red" },
    stream: true,
    status: 200,
    outcome: "complete",
    attempts: [{ attempt: 1, provider: "mock", model: "mock-model", startedAt, durationMs: 23.9 + i / 1e6, ttftMs: 12.1, status: "ok", usage, costNanos: 316000 }],
    usage,
    costNanos: 316000,
    latencyMs: 24.4 + i / 1e6,
    ttftMs: 12.8,
  };
}

const beginOf = (r) => ({
  id: r.id,
  startedAt: r.startedAt,
  api: r.api,
  stream: true,
  provider: "mock",
  model: "mock-model",
  inputTokens: 16,
  route: "fast",
  identity: r.identity,
  budget: [{ counter: "key:key_5f0c1a2b3c4d5e6f:day", windowEndsAt: r.startedAt + 3_600_000, unit: "usd" }],
});

const scenarios = {
  /** A request that never called upstream (refused, cached). */
  "end only": (j, rs) => {
    for (const r of rs) j.end(r);
  },
  /** A request that called upstream: begin line, settlement, end line. */
  "begin + end": (j, rs) => {
    for (const r of rs) {
      j.begin(beginOf(r), () => 0);
      j.settled(r.id);
      j.end(r);
    }
  },
  /** The same, the writer committing every BATCH records. */
  "begin + end + commits": (j, rs) => {
    for (let i = 0; i < rs.length; i += BATCH) {
      const batch = rs.slice(i, i + BATCH);
      for (const r of batch) {
        j.begin(beginOf(r), () => 0);
        j.settled(r.id);
        j.end(r);
      }
      j.committed(batch.map((r) => r.id));
    }
  },
};

let runs = 0;
/** One round: µs per request of each build. */
function round(scenario) {
  const journals = builds.map((build) => new build.Journal(path.join(dir, String(runs++)), { tickMs: 250 }));
  const records = builds.map(() => Array.from({ length: N }, (_, i) => record(i)));
  const cpu = builds.map(() => 0);
  for (let from = 0, block = 0; from < N; from += BLOCK, block++) {
    const order = block % 2 === 0 ? builds.keys() : [...builds.keys()].reverse();
    for (const b of order) {
      const start = process.threadCpuUsage();
      scenarios[scenario](journals[b], records[b].slice(from, from + BLOCK));
      const used = process.threadCpuUsage(start);
      cpu[b] += used.user + used.system;
    }
  }
  for (const journal of journals) {
    journal.close();
    fs.rmSync(journal.dir, { recursive: true, force: true });
  }
  return cpu.map((us) => us / N);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`journal, ${N} requests a run, ${ROUNDS} rounds, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}:`);
for (const scenario of Object.keys(scenarios)) {
  round(scenario); // warm the JIT
  const times = builds.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const result = round(scenario);
    for (const b of builds.keys()) times[b].push(result[b]);
  }
  builds.forEach((build, b) => {
    const t = times[b];
    const ratios = t.map((us, r) => us / times[0][r]);
    const ratio = b === 0 ? "" : `, ratio ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
    console.log(`  ${scenario.padEnd(22)} ${build.label.padEnd(26)} ${median(t).toFixed(2).padStart(6)} µs/request (${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)})${ratio}`);
  });
}
fs.rmSync(dir, { recursive: true, force: true });
