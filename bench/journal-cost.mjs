#!/usr/bin/env node
// The ledger journal's cost per request, measured directly (npm run bench:journal, a few seconds):
// what the request path pays (one end line: JSON.stringify + write(2) of the record; one begin
// line for a request that calls upstream) and what a batch commit adds, on the built code
// (dist/). The background fdatasync every 250 ms runs on libuv's thread pool, off the event loop.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { Journal } = await import(path.join(ROOT, "dist/ledger/journal.js"));
const N = Number(process.env.N ?? 50_000);
const BATCH = 200;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-journal-bench-"));

/** A request record as the meter makes it for a streamed chat answer with tags. */
function record(i) {
  const startedAt = Date.now();
  const usage = { inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  return {
    id: `req_${startedAt.toString(36)}${String(i).padStart(12, "0")}`,
    api: "openai-chat",
    startedAt,
    route: "fast",
    identity: { keyId: "key_5f0c1a2b3c4d5e6f", userId: "bob", teamId: "red", tags: { env: "prod", feature: "search" } },
    stream: true,
    status: 200,
    outcome: "complete",
    attempts: [{ attempt: 1, provider: "mock", model: "mock-model", startedAt, durationMs: 23.9, ttftMs: 12.1, status: "ok", usage, costNanos: 316000 }],
    usage,
    costNanos: 316000,
    latencyMs: 24.4,
    ttftMs: 12.8,
  };
}

function measure(label, fn) {
  const journal = new Journal(path.join(dir, label), { tickMs: 250 });
  const records = Array.from({ length: N }, (_, i) => record(i));
  const t0 = process.hrtime.bigint();
  fn(journal, records);
  const ns = Number(process.hrtime.bigint() - t0);
  journal.close();
  return ns / N / 1000;
}

// Warm the JIT on the same path first.
const endAll = (j, rs) => {
  for (const r of rs) j.end(r);
};
measure("warm", endAll);
const endOnly = measure("end", endAll);
const withBegin = measure("begin-end", (j, rs) =>
  rs.forEach((r) => {
    j.begin({ id: r.id, startedAt: r.startedAt, api: r.api, stream: true, route: "fast", identity: r.identity, provider: "mock", model: "mock-model", inputTokens: 16 }, () => 0);
    j.end(r);
  }),
);
const withCommits = measure("end-commit", (j, rs) => {
  for (let i = 0; i < rs.length; i += BATCH) {
    const batch = rs.slice(i, i + BATCH);
    for (const r of batch) j.end(r);
    j.committed(batch.map((r) => r.id));
  }
});
const lineBytes = Buffer.byteLength(JSON.stringify({ e: record(0) })) + 1;
fs.rmSync(dir, { recursive: true, force: true });
console.log(`journal, ${N} records, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}:`);
console.log(`  end line only (a request that never called upstream): ${endOnly.toFixed(2)} µs/request`);
console.log(`  begin + end lines (a request that called upstream):    ${withBegin.toFixed(2)} µs/request`);
console.log(`  end lines + a commit line per ${BATCH} records:          ${withCommits.toFixed(2)} µs/request`);
console.log(`  an end line is ${lineBytes} bytes`);
