#!/usr/bin/env node
// The per-request cost of the observability sink, measured directly (npm run bench:observability,
// ~30 s on a quiet machine): Observability.record with the default logger at info (to a file) and metrics on,
// on the built code (dist/), in µs of process CPU per record, the lines' writes included (the time
// spent in record() itself swings when other work shares the cores; process CPU counts the thread
// pool's writes too); and a /metrics exposition's time. The log destination is the gateway's own
// (logDestination), buffered as shipped (4 KB) and with bufferBytes 0 (a write per line), in bursts
// of 64 records (a busy gateway's) and of 1 (a quiet one: the event loop turns after each line),
// the four interleaved run by run. DIST=/other/dist measures another build.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.resolve(ROOT, process.env.DIST ?? "dist");
const dist = (p) => import(path.join(DIST, p));
const { resolveConfig } = await dist("config/resolve.js");
const { BreakerRegistry } = await dist("engine/breaker-registry.js");
const { Redactor } = await dist("errors/redact.js");
const { Observability } = await dist("observability/observability.js");
const { createLogger, logDestination } = await dist("observability/logger.js");

const N = Number(process.env.N ?? 50_000);
const RUNS = 5;
const CASES = [
  { bufferBytes: 4096, burst: 64 },
  { bufferBytes: 0, burst: 64 },
  { bufferBytes: 4096, burst: 1 },
  { bufferBytes: 0, burst: 1 },
];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-observability-bench-"));
const PROVIDER_KEY = "sk-proj-bench0provider0key0000000000";
const ADMIN_KEY = "admin-bench-key-0000";

// As bench/gateway.yaml runs it: one route, one provider with a key, an admin key, metrics on.
const config = resolveConfig(
  {
    admin: { keys: [ADMIN_KEY] },
    observability: { logs: { level: "info" }, metrics: { enabled: true } },
    prices: { "mock-model": { input: 0.15, output: 0.6 } },
    providers: { mock: { type: "openai", baseURL: "http://127.0.0.1:19000/v1", apiKey: PROVIDER_KEY } },
    models: { m: { targets: [{ provider: "mock", model: "mock-model" }] } },
  },
  {},
);
const redactor = new Redactor();
for (const key of [PROVIDER_KEY, ADMIN_KEY]) redactor.add(key);

/** A request record as the meter makes it: a virtual key with a user and tags; every other one streamed. */
function record(i) {
  const startedAt = Date.now();
  const stream = i % 2 === 0;
  const usage = { inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  return {
    id: `req_${startedAt.toString(36)}${String(i).padStart(12, "0")}`,
    api: "openai-chat",
    startedAt,
    route: "m",
    identity: { keyId: "key_5f0c1a2b3c4d5e6f", userId: "bob", teamId: "red", tags: { env: "prod", feature: "search" } },
    stream,
    status: 200,
    outcome: "complete",
    attempts: [{ attempt: 1, provider: "mock", model: "mock-model", startedAt, durationMs: 23.9, ttftMs: stream ? 12.1 : undefined, status: "ok", usage, costNanos: 182400 }],
    usage,
    costNanos: 182400,
    latencyMs: 24.4 + (i % 7),
    ttftMs: stream ? 12.8 : undefined,
  };
}
const ctx = { route: config.models.m, error: undefined, header: () => undefined };

const flushed = (logger) => new Promise((resolve) => logger.flush(resolve));

/** Records in bursts, the event loop turning between them so the log destination writes as it would. */
async function measure(label, { bufferBytes, burst }) {
  const file = path.join(dir, `${label}.log`);
  const fd = fs.openSync(file, "w");
  const observability = new Observability(config, new BreakerRegistry(), redactor, { logger: createLogger("info", logDestination(bufferBytes, fd)) });
  const records = Array.from({ length: N }, (_, i) => record(i));
  let wallNs = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i += burst) {
    const t0 = process.hrtime.bigint();
    for (let j = i; j < i + burst && j < N; j++) observability.record(records[j], ctx);
    wallNs += Number(process.hrtime.bigint() - t0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Waits for the last write, in flight or buffered: its CPU is the record's too.
  await flushed(observability.logger);
  const { user, system } = process.cpuUsage(cpu0);
  const close = async () => {
    await observability.close();
    fs.closeSync(fd);
  };
  return { observability, close, file, wall: wallNs / N / 1000, cpu: (user + system) / N };
}

// Warm the JIT on the same paths first; then RUNS rounds of every case, interleaved.
for (const c of CASES) await (await measure("warm", c)).close();
const runs = CASES.map(() => []);
let last;
for (let i = 0; i < RUNS; i++) {
  for (const [k, c] of CASES.entries()) {
    const run = await measure(`run-${i}-${k}`, c);
    runs[k].push(run);
    if (k === 0 && i === RUNS - 1) last = run;
    else await run.close();
  }
}
const median = (list, key) => list.map((r) => r[key]).sort((a, b) => a - b)[RUNS >> 1];
const [cpu, wall] = [median(runs[0], "cpu"), median(runs[0], "wall")];
const { observability, file } = last;
const t0 = process.hrtime.bigint();
const text = await observability.metrics.text();
const scrapeMs = Number(process.hrtime.bigint() - t0) / 1e6;
await last.close();
const line = fs.readFileSync(file, "utf8").split("\n")[0];
fs.rmSync(dir, { recursive: true, force: true });
console.log(`observability, median of ${RUNS} runs of ${N} records, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}:`);
console.log(`  Observability.record (log line at info to a file, buffered, bursts of 64 + metrics): ${cpu.toFixed(2)} µs CPU/record (${wall.toFixed(2)} µs in record())`);
console.log("  the log write path, µs CPU/record (median; every run):");
for (const [k, { bufferBytes, burst }] of CASES.entries())
  console.log(`    bufferBytes ${String(bufferBytes).padEnd(4)} bursts of ${String(burst).padEnd(2)}  ${median(runs[k], "cpu").toFixed(2)}  (${runs[k].map((r) => r.cpu.toFixed(2)).join(" ")})`);
console.log(`  one /metrics exposition afterwards: ${scrapeMs.toFixed(2)} ms (${text.length} bytes)`);
console.log(`  a request line: ${line}`);
