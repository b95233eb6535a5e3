#!/usr/bin/env node
// What each feature adds to a request's CPU (npm run bench:ladder, ~3 min): the passthrough and
// Tollgate with features added one rung at a time, all up at once (CPU 0) and loaded in turns by
// wrk (CPU 1), so each rung is compared with the passthrough seconds apart, not minutes.
//   core      Tollgate with what cannot be turned off: parse, route, relay, the ledger and its journal
//             (SQLite); no client auth, no budgets, logs at warn, no metrics
//   +obs      + a JSON log line per request and Prometheus metrics
//   full      + a virtual key with rpm/tpm limits and a budget, and a per-user budget rule: bench/gateway.yaml
// DIST=a,b (built trees) compares builds instead: the passthrough and each build's full rung; an
// entry `dist@--flag --flag` runs that build under node flags (DIST="dist,dist@--max-semi-space-size=32").
// MODE nonstream|stream|long|large (nonstream; long: 2,000 chunks, large: a 1 MB answer, as bench/run.mjs's modes), ROUNDS (6; the order reverses every other round), DUR s (5),
// WARM s (3), DIST (dist), PORT (19700: the mock; the rungs on the ports after it). Result: bench/results/<stamp>-ladder.json.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, "..");
const MODE = process.env.MODE ?? "nonstream";
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const DUR = Number(process.env.DUR ?? 5);
const WARM = Number(process.env.WARM ?? 3);
const DISTS = (process.env.DIST ?? "dist").split(",").map((entry) => {
  const [dir, flags = ""] = entry.split("@");
  return { dir: path.resolve(ROOT, dir), flags: flags.split(" ").filter(Boolean), entry };
});
const MOCK_PORT = Number(process.env.PORT ?? 19700);
const TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-ladder-"));
const ADMIN = `ladder-admin-${randomBytes(12).toString("hex")}`;

const children = [];
const cleanup = () => {
  for (const p of children) if (p.exitCode === null) p.kill("SIGTERM");
};
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

function start(name, args, env = {}, cwd = TMP) {
  const p = spawn("taskset", ["-c", name === "mock" ? "1" : "0", "node", ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", fs.openSync(path.join(TMP, `${name}.err`), "w")],
  });
  children.push(p);
  return p;
}
async function waitUp(port) {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`nothing listening on ${port}`);
}
function ticks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]);
}

// Configs: bench/gateway.yaml's providers, models and prices, pointed at this run's mock.
const full = fs.readFileSync(path.join(BENCH, "gateway.yaml"), "utf8").replaceAll("127.0.0.1:19000/", `127.0.0.1:${MOCK_PORT}/`);
const providers = full.slice(full.indexOf("\nproviders:"));
const base = `server: { host: 127.0.0.1 }\ndatabase: { url: "env:TOLLGATE_BENCH_DATABASE_URL" }\nprices:\n  mock-model: { input: 0.15, output: 0.6 }\n`;
const configs = {
  core: `${base}observability:\n  logs: { level: warn }\n  metrics: { enabled: false }${providers}`,
  "+obs": `${base}observability:\n  logs: { level: info }\n  metrics: { enabled: true }${providers}`,
  full,
};
const rungs = [
  { name: "passthrough" },
  ...(DISTS.length > 1 ? DISTS.map((dist) => ({ name: dist.entry, config: "full", dist })) : ["core", "+obs", "full"].map((config) => ({ name: config, config, dist: DISTS[0] }))),
].map((rung, i) => ({ ...rung, port: MOCK_PORT + 1 + i }));

const messages = [
  { role: "system", content: "You are a concise assistant for backend engineers." },
  { role: "user", content: "Summarise the trade-offs between retries and fallbacks in an LLM gateway, in two sentences. (request {{n}})" },
];
const bodyFile = path.join(TMP, "body.json");
const STREAMED = MODE === "stream" || MODE === "long";
const model = { long: "m-long", large: "m-large" }[MODE] ?? "m";
fs.writeFileSync(bodyFile, JSON.stringify(STREAMED ? { model, stream: true, stream_options: { include_usage: true }, messages } : { model, messages }));
// The passthrough forwards these to the mock; Tollgate's m-long and m-large providers send the same.
const MODE_HEADERS = { long: ["-H", "x-mock-chunks: 2000"], large: ["-H", "x-mock-bytes: 1048576"] }[MODE] ?? [];

function wrk(rung, seconds) {
  const auth = rung.secret ? ["-H", `authorization: Bearer ${rung.secret}`] : [];
  const out = execFileSync(
    "taskset",
    ["-c", "1", "wrk", "-t1", "-c64", `-d${seconds}s`, "--timeout", "5s", "-s", path.join(BENCH, "post.lua"), ...auth, ...MODE_HEADERS, `http://127.0.0.1:${rung.port}/v1/chat/completions`],
    {
      env: { ...process.env, BODY_FILE: bodyFile },
      timeout: (seconds + 15) * 1000,
    },
  ).toString();
  return JSON.parse(/^RESULT (.*)$/m.exec(out)[1]);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

start("mock", [path.join(BENCH, "mock-upstream.mjs")], { MOCK_PORT: String(MOCK_PORT) });
await waitUp(MOCK_PORT);
for (const rung of rungs) {
  if (rung.name === "passthrough") {
    rung.proc = start(rung.name, [path.join(BENCH, "passthrough-proxy.mjs")], { PROXY_PORT: String(rung.port), UPSTREAM: `http://127.0.0.1:${MOCK_PORT}` });
  } else {
    const dir = path.join(TMP, String(rung.port));
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "gateway.yaml"), configs[rung.config]);
    rung.proc = start(
      String(rung.port),
      [...rung.dist.flags, path.join(rung.dist.dir, "cli/main.js"), "start", "--config", "gateway.yaml", "--port", String(rung.port)],
      { TOLLGATE_BENCH_ADMIN_KEY: ADMIN, TOLLGATE_BENCH_DATABASE_URL: `sqlite:${path.join(dir, "ledger.db")}` },
      dir,
    );
  }
  await waitUp(rung.port);
  if (rung.config === "full") {
    const res = await fetch(`http://127.0.0.1:${rung.port}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({
        user_id: "bench-user",
        name: "ladder",
        team_id: "bench-team",
        allowed_models: [model],
        tags: { env: "bench" },
        limits: { budgets: [{ period: "day", usd: 1e6 }], rpm: 1e9, tpm: 1e12 },
      }),
    });
    if (res.status !== 201) throw new Error(`POST /admin/keys -> ${res.status}: ${await res.text()}`);
    rung.secret = (await res.json()).secret;
  }
  rung.runs = [];
}

console.error(`feature ladder (${MODE}): ${ROUNDS} rounds of ${DUR} s per rung after ${WARM} s warm-up each; logs in ${TMP}`);
for (const rung of rungs) wrk(rung, WARM);
for (let round = 1; round <= ROUNDS; round++) {
  for (const rung of round % 2 ? rungs : [...rungs].reverse()) {
    const before = ticks(rung.proc.pid);
    const w = wrk(rung, DUR);
    const cpu = ticks(rung.proc.pid) - before;
    const errors = w.non2xx + w.connect_err + w.read_err + w.write_err + w.timeout_err;
    if (errors > 0) throw new Error(`${rung.name}: ${errors} errors in a run`);
    rung.runs.push(((cpu / TCK) * 1e6) / w.requests);
  }
  console.error(`round ${round}: ${rungs.map((r) => `${r.name} ${r.runs.at(-1).toFixed(0)}`).join("  ")} µs/req`);
}

const floor = rungs[0].runs;
const rows = rungs.map((rung, i) => {
  const ratios = rung.runs.map((x, k) => x / floor[k]);
  const steps = i > 0 ? rung.runs.map((x, k) => x - rungs[i - 1].runs[k]) : undefined;
  return {
    rung: rung.name,
    cpu_us_per_req: median(rung.runs),
    ratio: median(ratios),
    ratio_min: Math.min(...ratios),
    ratio_max: Math.max(...ratios),
    step_us: steps && median(steps),
    runs: rung.runs,
  };
});
console.log(`\nCPU µs per request, ${MODE} (median of ${ROUNDS}; × the passthrough in the same round: median, range; step: median per-round difference from the rung above)`);
for (const r of rows)
  console.log(
    `${r.rung.padEnd(12)} ${r.cpu_us_per_req.toFixed(0).padStart(5)} µs  ${r.ratio.toFixed(2)}× (${r.ratio_min.toFixed(2)}–${r.ratio_max.toFixed(2)})${r.step_us === undefined ? "" : `  step ${r.step_us >= 0 ? "+" : ""}${r.step_us.toFixed(0)} µs`}`,
  );
const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace("Z", "");
const file = path.join(BENCH, "results", `${stamp}-ladder.json`);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify({ mode: MODE, rounds: ROUNDS, dur_s: DUR, warm_s: WARM, dists: DISTS.map((d) => d.entry), rows }, null, 2));
console.log(`results: ${path.relative(ROOT, file)}`);
cleanup();
fs.rmSync(TMP, { recursive: true, force: true });
process.exit(0);
