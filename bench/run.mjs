#!/usr/bin/env node
// Tollgate overhead benchmark orchestrator (loopback only, every phase bounded in time).
//
//   npm run bench                     overhead: passthrough vs Tollgate (SQLite) vs Tollgate (+Redis budgets)
//   npm run bench -- --quick          the same, short (BENCH_QUICK=1 too): 4 s warm-up, 6 s runs, once
//   npm run bench -- --check          a quick run that exits 3 when a ratio or added latency is over its target
//   npm run bench:concurrency         9,500 slow streams held open: RSS per stream, TTFT added at that load
//   npm run bench -- --profile        node --cpu-prof on Tollgate under load: top self-time functions
//                                     (PROF_KIND=alloc: bytes allocated by site; PROF_KIND=native: perf, inside native code)
//
// Layout on a 2-core box: the gateway under test alone on CPU_SUT (0); wrk, the mock upstream,
// the probes and the stream holder on CPU_LOAD (1). See docs/benchmarks.md.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { format } from "node:util";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, "..");
const argv = process.argv.slice(2);
const CHECK = argv.includes("--check");
// Shorter runs report the JIT warming up, not the gateway: 1 s warm-up and 3 s runs read 5.5× where 4 s and 6 s read what the full run does.
const QUICK = CHECK || argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const MODE = argv.includes("--concurrency") ? "concurrency" : argv.includes("--profile") ? "profile" : "overhead";
/** Targets a run missed (`--check` fails on any). */
let above = 0;
const env = (name, def) => (process.env[name] === undefined || process.env[name] === "" ? def : process.env[name]);
const num = (name, def) => Number(env(name, def));

const K = {
  DUR: num("DUR", QUICK ? 6 : 5),
  WARM: num("WARM", QUICK ? 4 : 3),
  // Many short reps, each target's paired with the passthrough's of the same rep: this VM's CPU time
  // per request drifts within seconds (host steal is charged to the running process), so a ratio holds
  // as the median of per-rep ratios, not as a ratio of two medians.
  REPS: num("REPS", QUICK ? 1 : 6),
  PACED_DUR: num("PACED_DUR", Math.max(num("DUR", QUICK ? 6 : 5), 6)),
  CONNS: num("CONNS", 64),
  PROBE_N: num("PROBE_N", QUICK ? 100 : 200),
  TARGETS: env("TARGETS", "passthrough tollgate tollgate-redis").split(/\s+/).filter(Boolean),
  MODES: env("MODES", "nonstream stream paced large long").split(/\s+/).filter(Boolean),
  PIN: env("PIN", "1") === "1",
  CPU_SUT: env("CPU_SUT", "0"),
  CPU_LOAD: env("CPU_LOAD", "1"),
  QUIET_WAIT_S: num("QUIET_WAIT_S", QUICK ? 5 : 15),
  QUIET_PCT: num("QUIET_PCT", 15),
  // a measured run during which other processes used more than NOISY_PCT of the machine is run again (at most NOISY_RETRIES times per cell)
  NOISY_PCT: num("NOISY_PCT", 20),
  NOISY_RETRIES: num("NOISY_RETRIES", QUICK ? 0 : 1),
  NOISY_RETRIES_TOTAL: num("NOISY_RETRIES_TOTAL", QUICK ? 0 : 4),
  REDIS_URL: env("BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
  // concurrency mode
  // 10,000 is the target; a proxy holds two sockets per stream, and 10,000 of them fill this machine's 20,000 descriptors (ulimit -Hn), so the probes could not connect.
  STREAMS: num("STREAMS", 9500),
  CONC_TARGETS: env("CONC_TARGETS", "passthrough tollgate").split(/\s+/).filter(Boolean),
  SLOW_INTERVAL_MS: num("SLOW_INTERVAL_MS", 5000),
  OPEN_TIMEOUT_S: num("OPEN_TIMEOUT_S", 60),
  // profile mode
  PROF_DUR: num("PROF_DUR", 6),
};
const HARD_LIMIT_S = num("HARD_LIMIT_S", MODE === "overhead" ? (QUICK ? 480 : 1200) : MODE === "concurrency" ? 300 : 120);
// Past this, the overhead run skips what is left and prints what it has.
const SOFT_LIMIT_S = num("SOFT_LIMIT_S", HARD_LIMIT_S - 60);
const overBudget = () => (Date.now() - T0) / 1000 > SOFT_LIMIT_S;
const PORTS = { mock: 19000, passthrough: 19100, tollgate: 19500, "tollgate-redis": 19501 }; // mock: as in bench/gateway.yaml
/**
 * The overhead run gives each target a mock of its own (19000, 19001, ...; the gateway's config is
 * rewritten to it), so the upstream requests a mock counts are its target's even with every target up.
 */
const mockPorts = {};
const mockUrl = (target) => `http://127.0.0.1:${mockPorts[target] ?? PORTS.mock}`;
const CHAT = "/v1/chat/completions";
// The same knobs as mock-paced, mock-large and mock-long in bench/gateway.yaml, for the passthrough.
const MODE_HEADERS = { paced: { "x-mock-chunks": "200", "x-mock-delay-ms": "5" }, large: { "x-mock-bytes": "1048576" }, long: { "x-mock-chunks": "2000" }, slow: { "x-mock-slow": "1" } };
const MODE_MODELS = { paced: "m-paced", large: "m-large", long: "m-long", slow: "m-slow" };
/** Modes whose unloaded latency is probed (the others measure throughput cost only). */
const PROBED = new Set(["nonstream", "stream"]);
const TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const T0 = Date.now();
const STAMP = new Date().toISOString().replace(/[:.]/g, "-").replace("Z", "");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-bench-"));
// The built CLI's progress (dist/cli/progress.js), loaded once the build is known to exist; log lines go through it so a spinner stays intact.
let progress;
const log = (...a) => {
  const line = format(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(3)}s]`, ...a);
  if (progress) progress.print(line);
  else console.error(line);
};

// ---------------- processes: only the ones started here, killed on exit ----------------
const children = new Map();
function killAll() {
  for (const pid of children.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  children.clear();
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"])
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
setTimeout(() => {
  console.error(`hard time limit (${HARD_LIMIT_S}s) hit: stopping`);
  killAll();
  process.exit(2);
}, HARD_LIMIT_S * 1000).unref();

/** Starts a process (through `sh -c 'ulimit -n ...; exec ...'` and taskset, both exec: the PID is the program's). */
function start(name, cmd, args, { cpu, extraEnv = {}, cwd = ROOT, stdin = "ignore" } = {}) {
  const logFile = path.join(TMP, `${name}.log`);
  const out = fs.openSync(logFile, "a");
  const pinned = K.PIN && cpu !== undefined ? ["taskset", "-c", String(cpu), cmd, ...args] : [cmd, ...args];
  const p = spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...pinned], {
    cwd,
    env: { ...process.env, ...extraEnv },
    stdio: [stdin, stdin === "pipe" ? "pipe" : out, out],
  });
  children.set(p.pid, name);
  p.on("exit", () => children.delete(p.pid));
  p.logFile = logFile;
  return p;
}

async function stop(p, signal = "SIGTERM", waitMs = 5000) {
  if (!children.has(p.pid)) return;
  const exited = new Promise((r) => p.once("exit", r));
  try {
    process.kill(p.pid, signal);
  } catch {}
  if ((await Promise.race([exited.then(() => true), sleep(waitMs).then(() => false)])) === false) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
    await exited;
  }
}

/** Runs a helper to completion (killed after timeoutS) and returns its stdout. */
function run(cmd, args, { cpu, timeoutS = 60, extraEnv = {} } = {}) {
  const pinned = K.PIN && cpu !== undefined ? ["taskset", "-c", String(cpu), cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const p = spawn(pinned[0], pinned.slice(1), { cwd: ROOT, env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    children.set(p.pid, cmd);
    const timer = setTimeout(() => {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {}
    }, timeoutS * 1000);
    let out = "",
      err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(p.pid);
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code ?? signal}: ${err.slice(-800)}`));
    });
  });
}

const tail = (file, n = 15) => {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-n).join("\n");
  } catch {
    return "";
  }
};

async function portFree(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

async function waitPort(port, proc, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc && !children.has(proc.pid)) throw new Error(`process for port ${port} exited:\n${tail(proc.logFile)}`);
    if (!(await portFree(port))) return;
    await sleep(100);
  }
  throw new Error(`port ${port} not up after ${timeoutMs} ms${proc ? `:\n${tail(proc.logFile)}` : ""}`);
}

async function http(method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json, headers: res.headers };
}

// ---------------- /proc accounting ----------------
function procTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // f[0] is field 3 (state)
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return NaN;
  }
}
function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  } catch {
    return NaN;
  }
}
function fdLimit(pid) {
  try {
    return /Max open files\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/limits`, "utf8"))[1];
  } catch {
    return "?";
  }
}
function cpuStat() {
  const out = {};
  for (const line of fs.readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^(cpu\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
    out[m[1] === "cpu" ? "all" : m[1]] = { busy: total - v[3] - v[4], total };
  }
  return out;
}
async function busyPct(ms = 1000) {
  const a = cpuStat().all;
  await sleep(ms);
  const b = cpuStat().all;
  return (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
}
/** The box may be shared: wait (bounded) until it is mostly idle before a measurement. True if it got quiet. */
async function waitQuiet() {
  const end = Date.now() + K.QUIET_WAIT_S * 1000;
  for (;;) {
    const pct = await busyPct(1000);
    if (pct < K.QUIET_PCT) return true;
    if (Date.now() >= end) {
      log(`WARN machine not quiet (${pct.toFixed(0)}% busy by other processes): results may be contaminated`);
      return false;
    }
  }
}
const mockStats = async (target) => (await http("GET", `${mockUrl(target)}/__stats`)).json;

// ---------------- request shapes ----------------
const MESSAGES = [
  { role: "system", content: "You are a concise assistant for backend engineers." },
  // {{n}}: post.lua puts a new number there in each request, so no two prompts are the same text.
  { role: "user", content: "Summarise the trade-offs between retries and fallbacks in an LLM gateway, in two sentences. (request {{n}})" },
];
const bodyFiles = {};
function bodyFile(model, stream) {
  const key = `${model}-${stream ? "stream" : "nonstream"}`;
  if (!bodyFiles[key]) {
    const body = stream ? { model, stream: true, stream_options: { include_usage: true }, messages: MESSAGES } : { model, messages: MESSAGES };
    bodyFiles[key] = path.join(TMP, `body-${key}.json`);
    fs.writeFileSync(bodyFiles[key], JSON.stringify(body));
  }
  return bodyFiles[key];
}
/** What a target (or, `direct`, its mock) is sent in one mode: URL, body file and headers. */
function requestFor(target, mode, { direct = false } = {}) {
  const isTollgate = !direct && target.startsWith("tollgate");
  const base = direct ? mockUrl(target) : `http://127.0.0.1:${PORTS[target]}`;
  const auth = isTollgate ? { authorization: `Bearer ${SECRETS[target]}` } : {};
  if (mode === "nonstream") return { url: base + CHAT, body: bodyFile("m", false), headers: auth };
  if (mode === "stream") return { url: base + CHAT, body: bodyFile("m", true), headers: auth };
  const stream = mode !== "large";
  if (MODE_MODELS[mode])
    return isTollgate ? { url: base + CHAT, body: bodyFile(MODE_MODELS[mode], stream), headers: auth } : { url: base + CHAT, body: bodyFile("m", stream), headers: MODE_HEADERS[mode] };
  throw new Error(`unknown mode ${mode}`);
}
const SECRETS = {};
/** Requests sent straight to a target's mock (reference answers, probes): not part of what the target sent upstream. */
const directRequests = {};
const countDirect = (target, n) => {
  directRequests[target] = (directRequests[target] ?? 0) + n;
};

// ---------------- targets ----------------
function startMock(extraEnv = {}, port = PORTS.mock) {
  return start("mock", "node", [path.join(BENCH, "mock-upstream.mjs")], { cpu: K.CPU_LOAD, extraEnv: { MOCK_PORT: String(port), ...extraEnv } });
}

async function redisReachable(url) {
  const u = new URL(url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new Error(`BENCH_REDIS_URL must be loopback, got ${u.hostname}`);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || 6379), u.hostname);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1000);
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      clearTimeout(t);
      s.destroy();
      resolve(String(d).startsWith("+PONG"));
    });
    s.once("error", () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

const REDIS_PREFIX = `bench-${process.pid}`;
/** The config as benchmarked, pointed at the target's mock; Redis budgets for tollgate-redis. */
function tollgateConfig(target) {
  const base = path.resolve(ROOT, env("CONFIG", "bench/gateway.yaml"));
  let text = fs.readFileSync(base, "utf8").replaceAll(`127.0.0.1:${PORTS.mock}/`, `${new URL(mockUrl(target)).host}/`);
  if (target === "tollgate-redis") text += `\nredis: { url: "${K.REDIS_URL}", keyPrefix: ${REDIS_PREFIX} }\n`;
  if (target === "tollgate" && text === fs.readFileSync(base, "utf8")) return base;
  const file = path.join(TMP, `gateway-${target}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

/** The local redis-server serving BENCH_REDIS_URL (not ours: only read, for CPU accounting), if found. */
function redisServerPid() {
  const port = new URL(K.REDIS_URL).port || "6379";
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, "utf8").trim() !== "redis-server") continue;
      if (fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(`:${port}`)) return Number(d);
    } catch {}
  }
  return undefined;
}

/** Starts a target on CPU_SUT; for Tollgate also creates its virtual key. Returns { proc, cmd }. */
async function startTarget(target, { nodeFlags = [] } = {}) {
  const port = PORTS[target];
  if (!(await portFree(port))) throw new Error(`port ${port} (${target}) is already in use`);
  if (target === "passthrough") {
    const proc = start(target, "node", [...nodeFlags, path.join(BENCH, "passthrough-proxy.mjs")], { cpu: K.CPU_SUT, extraEnv: { PROXY_PORT: String(port), UPSTREAM: mockUrl(target) } });
    await waitPort(port, proc);
    return { proc, cmd: `node bench/passthrough-proxy.mjs` };
  }
  const dir = path.join(TMP, target);
  fs.mkdirSync(dir, { recursive: true });
  const config = tollgateConfig(target);
  const adminKey = `bench-admin-${randomBytes(12).toString("hex")}`;
  const args = [...nodeFlags, path.join(ROOT, "dist/cli/main.js"), "start", "--config", config, "--port", String(port)];
  const proc = start(target, "node", args, {
    cpu: K.CPU_SUT,
    cwd: dir,
    extraEnv: { TOLLGATE_BENCH_ADMIN_KEY: adminKey, TOLLGATE_BENCH_DATABASE_URL: `sqlite:${path.join(dir, "ledger.db")}` },
  });
  await waitPort(port, proc);
  const created = await http(
    "POST",
    `http://127.0.0.1:${port}/admin/keys`,
    {
      user_id: "bench-user",
      name: "bench",
      team_id: "bench-team",
      allowed_models: ["m", ...Object.values(MODE_MODELS)],
      tags: { env: "bench" },
      limits: { budgets: [{ period: "day", usd: 1_000_000 }], rpm: 1_000_000_000, tpm: 1_000_000_000_000 },
    },
    { authorization: `Bearer ${adminKey}` },
  );
  if (created.status !== 201 || !created.json?.secret) throw new Error(`POST /admin/keys -> ${created.status}: ${created.text.slice(0, 300)}`);
  SECRETS[target] = created.json.secret;
  return { proc, adminKey, cmd: `node dist/cli/main.js start --config ${path.relative(ROOT, config).startsWith("..") ? config : path.relative(ROOT, config)} --port ${port}` };
}

/** One stream and one non-stream request: the answer must be the mock's, usage included. */
async function correctness(target) {
  const concat = (sse) =>
    sse
      .split("\n")
      .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
      .map((l) => {
        try {
          return JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "";
        } catch {
          return "<bad json>";
        }
      })
      .join("");
  countDirect(target, 1);
  const want = concat((await http("POST", mockUrl(target) + CHAT, JSON.parse(fs.readFileSync(bodyFile("m", true), "utf8")))).text);
  const r = requestFor(target, "stream");
  const s = await http("POST", r.url, JSON.parse(fs.readFileSync(r.body, "utf8")), r.headers);
  const n = requestFor(target, "nonstream");
  const ns = await http("POST", n.url, JSON.parse(fs.readFileSync(n.body, "utf8")), n.headers);
  return {
    stream_status: s.status,
    stream_text_ok: concat(s.text) === want,
    stream_done: s.text.includes("data: [DONE]"),
    stream_usage: s.text.includes('"usage"'),
    nonstream_status: ns.status,
    nonstream_usage: Boolean(ns.json?.usage),
    ...(s.status !== 200 ? { stream_error: s.text.slice(0, 300) } : {}),
    ...(ns.status !== 200 ? { nonstream_error: ns.text.slice(0, 300) } : {}),
  };
}

/** Sequential probe rounds alternating direct-to-mock and the target: { direct, target } medians. */
async function probe(target, mode, n = K.PROBE_N) {
  const spec = (name, direct) => {
    const r = requestFor(target, mode, { direct });
    return { name, url: r.url, body: r.body, headers: r.headers };
  };
  const specs = [spec("direct", true), spec("target", false)];
  const out = await run("node", [path.join(BENCH, "probe.mjs"), JSON.stringify(specs), String(n), "25000"], { cpu: K.CPU_LOAD, timeoutS: 40 });
  const res = JSON.parse(/^PROBE (.*)$/m.exec(out)[1]);
  countDirect(target, res.direct.n);
  return res;
}

function wrk(target, mode, durS) {
  const r = requestFor(target, mode);
  const hdrs = Object.entries(r.headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  return run("wrk", ["-t1", `-c${K.CONNS}`, `-d${durS}s`, "--timeout", "5s", "-s", path.join(BENCH, "post.lua"), ...hdrs, r.url], {
    cpu: K.CPU_LOAD,
    timeoutS: durS + 15,
    extraEnv: { BODY_FILE: r.body },
  });
}

/** A wrk run; CPU and completed requests are read at both edges of a steady-state window inside it. */
async function measure(target, mode, sutPid, mockPid, durS, redisPid) {
  const skip = mode === "paced" ? 1.5 : 1,
    tailS = 0.5;
  const done = wrk(target, mode, durS);
  await sleep(skip * 1000);
  const wrkPid = [...children].find(([, n]) => n === "wrk")?.[0];
  const sample = async () => {
    const m = await mockStats(target);
    return {
      t: process.hrtime.bigint(),
      sut: procTicks(sutPid),
      mock: procTicks(mockPid),
      wrk: wrkPid ? procTicks(wrkPid) : NaN,
      redis: redisPid ? procTicks(redisPid) : 0,
      cpu: cpuStat(),
      completed: m.completed,
    };
  };
  const a = await sample();
  await sleep((durS - skip - tailS) * 1000);
  const b = await sample();
  const out = await done;
  const w = JSON.parse(/^RESULT (.*)$/m.exec(out)?.[1] ?? "{}");
  const n = b.completed - a.completed;
  const sut = b.sut - a.sut,
    mock = b.mock - a.mock,
    wk = b.wrk - a.wrk,
    redis = b.redis - a.redis;
  const dAll = { busy: b.cpu.all.busy - a.cpu.all.busy, total: b.cpu.all.total - a.cpu.all.total };
  const core = (c) => (100 * (b.cpu[`cpu${c}`].busy - a.cpu[`cpu${c}`].busy)) / Math.max(1, b.cpu[`cpu${c}`].total - a.cpu[`cpu${c}`].total);
  return {
    target,
    mode,
    dur_s: durS,
    ...w,
    window_s: Number(b.t - a.t) / 1e9,
    window_completed: n,
    sut_cpu_us_per_req: ((sut / TCK) * 1e6) / Math.max(1, n),
    sut_cpu_pct: (100 * sut) / TCK / (Number(b.t - a.t) / 1e9),
    mock_cpu_us_per_req: ((mock / TCK) * 1e6) / Math.max(1, n),
    wrk_cpu_us_per_req: ((wk / TCK) * 1e6) / Math.max(1, n),
    sut_core_busy_pct: core(K.CPU_SUT),
    load_core_busy_pct: core(K.CPU_LOAD),
    ...(redisPid ? { redis_cpu_us_per_req: ((redis / TCK) * 1e6) / Math.max(1, n) } : {}),
    other_cpu_pct: (100 * (dAll.busy - sut - mock - (Number.isNaN(wk) ? 0 : wk) - (redis || 0))) / Math.max(1, dAll.total),
    errors: (w.non2xx ?? 0) + (w.connect_err ?? 0) + (w.read_err ?? 0) + (w.write_err ?? 0) + (w.timeout_err ?? 0),
  };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function machine() {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "?";
  const mhz = /cpu MHz\s*:\s*(.*)/.exec(cpuinfo)?.[1];
  let wrkVersion = "?";
  try {
    wrkVersion = execFileSync("wrk", ["-v"], { stdio: ["ignore", "pipe", "pipe"] })
      .toString()
      .split("\n")[0];
  } catch (e) {
    wrkVersion = String(e.stdout ?? "").split("\n")[0] || "?";
  }
  let commit = "?";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
  } catch {}
  let dirty = false;
  try {
    dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT }).toString().trim() !== "";
  } catch {}
  return {
    nproc: os.cpus().length,
    cpu_model: model,
    cpu_mhz: mhz,
    node: process.version,
    wrk: wrkVersion.trim(),
    kernel: os.release(),
    mem_gb: +(os.totalmem() / 2 ** 30).toFixed(1),
    commit,
    src_dirty: dirty,
    clk_tck: TCK,
  };
}

/** Observability sections in the config schema of the build under test (none: said so in the output). */
async function observability() {
  try {
    const { configSchema } = await import(path.join(ROOT, "dist/config/schema.js"));
    const keys = Object.keys(configSchema.shape ?? {});
    const found = keys.filter((k) => /^(metrics|logs?|logging|observability|telemetry|otel|tracing|prometheus)$/i.test(k));
    return found.length
      ? `config has ${found.join(", ")}; bench/gateway.yaml turns on request logs (info, to a file) and metrics; traces stay off (no endpoint)`
      : `none: the config schema has no metrics/logs/tracing section yet (keys: ${keys.join(", ")}); the gateway logs only operational warnings to stderr`;
  } catch (e) {
    return `unknown (${e.message})`;
  }
}

function writeResults(kind, data) {
  const dir = path.join(BENCH, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${STAMP}${kind === "overhead" ? "" : `-${kind}`}.json`);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  ");
  return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}
const f = (x, d = 1) => (x === undefined || x === null || !Number.isFinite(x) ? "-" : x.toFixed(d));
const ratio = (x, base) => (Number.isFinite(x) && Number.isFinite(base) && base !== 0 ? `${(x / base).toFixed(2)}×` : "-");

// ---------------- overhead mode ----------------
async function overhead() {
  const meta = { kind: "overhead", started: new Date().toISOString(), quick: QUICK, knobs: K, machine: machine(), observability: await observability(), tmp: TMP };
  log(
    `overhead benchmark${QUICK ? " (quick)" : ""}: targets=${K.TARGETS.join(",")} modes=${K.MODES.join(",")} conns=${K.CONNS} dur=${K.DUR}s (paced ${K.PACED_DUR}s) warm=${K.WARM}s reps=${K.REPS} probe_n=${K.PROBE_N}`,
  );
  log(`observability: ${meta.observability}`);
  let targets = K.TARGETS;
  if (targets.includes("tollgate-redis") && !(await redisReachable(K.REDIS_URL))) {
    log(`Redis not reachable at ${K.REDIS_URL}: skipping tollgate-redis`);
    meta.skipped = ["tollgate-redis: Redis not reachable"];
    targets = targets.filter((t) => t !== "tollgate-redis");
  }
  // Every target up at once, each with its own mock, measured in turns: on this kind of VM a process's
  // CPU time per request drifts up to 2× over minutes, so targets run one after another would compare
  // minutes, not gateways. Each mode's reps alternate the order (forward, then backward).
  const mocks = {},
    up = {};
  for (const [i, target] of targets.entries()) {
    mockPorts[target] = PORTS.mock + i;
    if (!(await portFree(mockPorts[target]))) throw new Error(`port ${mockPorts[target]} (mock for ${target}) is already in use`);
    mocks[target] = startMock({}, mockPorts[target]);
    await waitPort(mockPorts[target], mocks[target]);
  }
  const runs = [],
    discarded = [],
    probes = {},
    checks = {},
    rss = {},
    commands = {},
    ledger = {};
  let retriesLeft = K.NOISY_RETRIES_TOTAL;
  const redisPid = targets.includes("tollgate-redis") ? redisServerPid() : undefined;
  const skipped = (meta.skipped ??= []);
  const since = Date.now();
  for (const target of targets) {
    up[target] = await startTarget(target);
    commands[target] = up[target].cmd;
    checks[target] = await correctness(target);
    log(`   ${target} correctness ${JSON.stringify(checks[target])}`);
  }
  const phase = progress.start("overhead benchmark", K.MODES.length * (1 + K.REPS));
  let stepsDone = 0;
  for (const mode of K.MODES) {
    if (overBudget()) {
      skipped.push(`${mode}: time budget (SOFT_LIMIT_S=${SOFT_LIMIT_S}) reached`);
      log(`time budget reached: skipping ${mode}`);
      continue;
    }
    log(`== ${mode}`);
    const dur = mode === "paced" ? K.PACED_DUR : K.DUR;
    phase.update(stepsDone++, `${mode} warm-up`);
    for (const target of targets) await wrk(target, mode, K.WARM);
    for (let rep = 1; rep <= K.REPS; rep++) {
      phase.update(stepsDone++, `${mode} rep ${rep}`);
      const order = rep % 2 ? targets : [...targets].reverse();
      for (const target of order) {
        let retries = K.NOISY_RETRIES;
        for (;;) {
          const quiet = await waitQuiet();
          const r = await measure(target, mode, up[target].proc.pid, mocks[target].pid, dur, target === "tollgate-redis" ? redisPid : undefined);
          r.rep = rep;
          // Run again only if the noise looks transient (the box was quiet just before) and budgets allow.
          const again = r.other_cpu_pct > K.NOISY_PCT && quiet && retries > 0 && retriesLeft > 0 && !overBudget();
          log(
            `   ${target} rep ${rep}: ${f(r.rps, 0)} req/s p50 ${f(r.p50_ms, 2)} ms p99 ${f(r.p99_ms, 2)} ms cpu ${f(r.sut_cpu_us_per_req, 0)} µs/req (${f(r.sut_cpu_pct, 0)}% of a core)${r.redis_cpu_us_per_req !== undefined ? ` redis-server ${f(r.redis_cpu_us_per_req, 0)} µs/req` : ""} other ${f(r.other_cpu_pct, 0)}% errors ${r.errors}${r.other_cpu_pct > K.NOISY_PCT ? (again ? " NOISY: again" : " NOISY: kept") : ""}`,
          );
          if (!again) {
            runs.push(r);
            break;
          }
          retries--;
          retriesLeft--;
          discarded.push(r);
        }
      }
      if (rep < K.REPS && overBudget()) break;
    }
    for (const target of targets) rss[`${target}/${mode}`] = rssKb(up[target].proc.pid);
  }
  // Unloaded probes after the load (JIT warm), each against a fresh direct-to-mock baseline.
  for (const mode of K.MODES.filter((m) => PROBED.has(m)))
    for (const target of targets) {
      await waitQuiet();
      const { direct, target: through } = await probe(target, mode);
      probes[`${target}/${mode}`] = { direct, target: through, added_ttfb_ms: through.ttfb_p50_ms - direct.ttfb_p50_ms, added_ttft_ms: through.ttft_p50_ms - direct.ttft_p50_ms };
      log(`   ${target} probe ${mode}: ttfb p50 ${f(through.ttfb_p50_ms, 3)} ms (direct ${f(direct.ttfb_p50_ms, 3)}) ttft p50 ${f(through.ttft_p50_ms, 3)} ms (direct ${f(direct.ttft_p50_ms, 3)})`);
    }
  await sleep(1000); // the ledger flushes every 200 ms
  for (const target of targets) {
    if (target.startsWith("tollgate")) {
      const u = await http("GET", `http://127.0.0.1:${PORTS[target]}/admin/usage?group_by=key&from=${since - 1000}`, undefined, { authorization: `Bearer ${up[target].adminKey}` });
      const rows = u.json?.totals ?? [];
      ledger[target] = {
        ledger_requests: rows.reduce((a, r) => a + r.requests, 0),
        upstream_requests: (await mockStats(target)).started - (directRequests[target] ?? 0),
        cost_usd: rows.reduce((a, r) => a + Number(r.cost_usd), 0).toFixed(6),
        status: u.status,
      };
      log(`   ${target} ledger ${JSON.stringify(ledger[target])}`);
    }
    await stop(up[target].proc);
    if (ledger[target]) ledger[target].outcomes = ledgerOutcomes(path.join(TMP, target, "ledger.db"));
    if (target === "tollgate-redis") await cleanRedis();
    await stop(mocks[target]);
  }
  phase.update(stepsDone);
  phase.end(true);

  // ---- summary ----
  const rows = [];
  for (const target of targets)
    for (const mode of K.MODES) {
      const rs = runs.filter((r) => r.target === target && r.mode === mode);
      if (!rs.length) continue;
      const p = probes[`${target}/${mode}`];
      rows.push({
        target,
        mode,
        reps: rs.length,
        rps: median(rs.map((r) => r.rps)),
        p50_ms: median(rs.map((r) => r.p50_ms)),
        p99_ms: median(rs.map((r) => r.p99_ms)),
        cpu_us_per_req: median(rs.map((r) => r.sut_cpu_us_per_req)),
        ...pairedRatio(
          rs,
          runs.filter((r) => r.target === "passthrough" && r.mode === mode),
        ),
        redis_cpu_us_per_req: median(rs.map((r) => r.redis_cpu_us_per_req)),
        rss_mb: rss[`${target}/${mode}`] / 1024,
        added_ttfb_ms: p?.added_ttfb_ms,
        added_ttft_ms: p?.added_ttft_ms,
        other_cpu_pct_max: Math.max(...rs.map((r) => r.other_cpu_pct)),
        errors: rs.reduce((a, r) => a + r.errors, 0),
      });
    }
  const base = (mode) => rows.find((r) => r.target === "passthrough" && r.mode === mode);
  const cell = (x, b, d) => `${f(x, d)} ${ratio(x, b)}`;
  const cpuCell = (r) =>
    r.target === "passthrough" || r.cpu_ratio === undefined
      ? cell(r.cpu_us_per_req, r.cpu_us_per_req, 0)
      : `${f(r.cpu_us_per_req, 0)} ${f(r.cpu_ratio, 2)}× (${f(r.cpu_ratio_min, 2)}–${f(r.cpu_ratio_max, 2)})`;
  const printable = rows.map((r) => {
    const b = base(r.mode) ?? {};
    return [
      r.target,
      r.mode,
      cell(r.rps, b.rps, 0),
      cell(r.p50_ms, b.p50_ms, 2),
      cell(r.p99_ms, b.p99_ms, 2),
      cpuCell(r),
      cell(r.rss_mb, b.rss_mb, 0),
      r.added_ttfb_ms === undefined ? "-" : cell(r.added_ttfb_ms, b.added_ttfb_ms, 3),
      r.added_ttft_ms === undefined ? "-" : f(r.added_ttft_ms, 3),
      f(Math.max(0, r.other_cpu_pct_max), 0),
      r.errors,
    ];
  });
  const out = [];
  out.push(`\nTollgate overhead vs. a bare passthrough proxy (× = ratio to passthrough, same mode)`);
  out.push(
    `${meta.machine.cpu_model}, ${meta.machine.nproc} CPUs, node ${meta.machine.node}, ${meta.machine.wrk}; commit ${meta.machine.commit}${meta.machine.src_dirty ? " (src has uncommitted changes)" : ""}`,
  );
  out.push(
    `wrk -t1 -c${K.CONNS}, ${K.DUR}s (paced ${K.PACED_DUR}s) × ${K.REPS} after ${K.WARM}s warmup, targets up at once and measured in turns (order reversed every other rep), each with its own mock; gateways pinned to CPU ${K.CPU_SUT}, wrk + mock on CPU ${K.CPU_LOAD}; medians over reps`,
  );
  out.push(
    `modes: nonstream; stream = 20 chunks + usage + [DONE]; paced = 200 chunks, 5 ms apart; large = a 1 MB non-stream answer; long = a 2,000-chunk stream. Probe: ${K.PROBE_N} sequential requests, unloaded, median.\n`,
  );
  out.push(table(["target", "mode", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "RSS MB", "+TTFB ms", "+TTFT ms", "other%", "err"], printable));
  out.push(`\nCPU µs/req: the gateway process's utime+stime (/proc/PID/stat) over a steady-state window ÷ requests the mock completed in it.`);
  out.push(`Its ×: the median over reps of the gateway's figure ÷ the passthrough's in the same rep, seconds apart (range over reps); the µs figure is the median over reps.`);
  out.push(`RSS: after that mode's runs. +TTFB / +TTFT: unloaded median minus direct-to-mock (TTFT = first content token; non-stream: whole body).`);
  out.push(`other%: CPU used on the machine by anything but gateway, mock and wrk during the window (noise; kernel network time lands here too).`);
  const rr = rows.filter((r) => Number.isFinite(r.redis_cpu_us_per_req));
  if (rr.length) out.push(`redis-server CPU (not in the gateway's figure, not in other%): ${rr.map((r) => `${r.mode} ${f(r.redis_cpu_us_per_req, 0)} µs/req`).join(", ")}`);
  out.push(`observability: ${meta.observability}`);
  for (const x of meta.skipped ?? []) out.push(`SKIPPED ${x}`);
  const noisyRows = rows.filter((r) => r.other_cpu_pct_max > K.NOISY_PCT);
  if (noisyRows.length)
    out.push(`NOISE: other processes used > ${K.NOISY_PCT}% of the machine during ${noisyRows.map((r) => `${r.target}/${r.mode}`).join(", ")}: treat those rows with care (CPU µs/req holds up best).`);
  for (const [tgt, l] of Object.entries(ledger))
    out.push(
      `ledger (${tgt}): ${l.ledger_requests} rows (${Object.entries(l.outcomes ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")}) for ${l.upstream_requests} requests sent upstream, ${l.cost_usd} USD recorded`,
    );
  for (const [tgt, c] of Object.entries(checks)) if (!(c.stream_text_ok && c.stream_done && c.nonstream_status === 200)) out.push(`CORRECTNESS PROBLEM (${tgt}): ${JSON.stringify(c)}`);
  out.push(`\nTargets:`);
  const verdict = (met) => {
    if (!met) above++;
    return met ? "met" : "ABOVE target";
  };
  for (const r of rows.filter((x) => x.target.startsWith("tollgate"))) {
    const b = base(r.mode);
    if (!b) continue;
    const x = r.cpu_ratio ?? r.cpu_us_per_req / b.cpu_us_per_req;
    out.push(`  ${r.target.padEnd(15)} ${r.mode.padEnd(9)} CPU/request ${x.toFixed(2)}× passthrough (target ≤ 1.5×): ${verdict(x <= 1.5)}`);
    if (PROBED.has(r.mode)) out.push(`  ${r.target.padEnd(15)} ${r.mode.padEnd(9)} added TTFB ${f(r.added_ttfb_ms, 3)} ms (target < 0.5 ms): ${verdict(r.added_ttfb_ms < 0.5)}`);
  }
  const text = out.join("\n");
  console.log(text);
  const md = [
    `| target | mode | req/s | p50 ms | p99 ms | CPU µs/req | RSS MB | added TTFB ms | added TTFT ms | other CPU % | errors |`,
    `|---|---|---|---|---|---|---|---|---|---|---|`,
    ...printable.map((c) => `| ${c.map((x) => String(x).replace(/ (\d+\.\d+×|-)$/, " ($1)")).join(" | ")} |`),
  ].join("\n");
  const file = writeResults("overhead", {
    table_markdown: md,
    ...meta,
    finished: new Date().toISOString(),
    elapsed_s: (Date.now() - T0) / 1000,
    commands,
    checks,
    ledger,
    rows,
    runs,
    discarded_noisy_runs: discarded,
    probes,
    rss_kb: rss,
    table: text,
  });
  console.log(`\nresults: ${path.relative(ROOT, file)}  (elapsed ${((Date.now() - T0) / 1000).toFixed(0)} s)`);
}

/** A target's CPU per request over the passthrough's in the same rep (run seconds apart): median and range over reps. */
function pairedRatio(targetRuns, passthroughRuns) {
  const ratios = targetRuns.flatMap((r) => {
    const p = passthroughRuns.find((x) => x.rep === r.rep);
    return p ? [r.sut_cpu_us_per_req / p.sut_cpu_us_per_req] : [];
  });
  return ratios.length ? { cpu_ratio: median(ratios), cpu_ratio_min: Math.min(...ratios), cpu_ratio_max: Math.max(...ratios) } : {};
}

/** Rows per outcome, read from the SQLite ledger after the gateway stopped (schema of the build under test; best effort). */
function ledgerOutcomes(file) {
  try {
    const Database = createRequire(path.join(ROOT, "package.json"))("better-sqlite3");
    const db = new Database(file, { readonly: true });
    try {
      return Object.fromEntries(
        db
          .prepare("SELECT outcome || ' ' || status AS k, COUNT(*) AS n FROM tollgate_requests GROUP BY 1")
          .all()
          .map((r) => [r.k, r.n]),
      );
    } finally {
      db.close();
    }
  } catch (e) {
    return { error: e.message };
  }
}

async function cleanRedis() {
  // Only this run's keys: {bench-<pid>}... (they expire with their windows anyway).
  try {
    const u = new URL(K.REDIS_URL);
    const keys = execFileSync("redis-cli", ["-h", u.hostname, "-p", u.port || "6379", "--scan", "--pattern", `{${REDIS_PREFIX}}*`], { timeout: 5000 })
      .toString()
      .split("\n")
      .filter(Boolean);
    for (let i = 0; i < keys.length; i += 500) execFileSync("redis-cli", ["-h", u.hostname, "-p", u.port || "6379", "DEL", ...keys.slice(i, i + 500)], { timeout: 5000 });
  } catch {}
}

// ---------------- concurrency mode ----------------
async function concurrency() {
  const meta = { kind: "concurrency", started: new Date().toISOString(), knobs: K, machine: machine(), observability: await observability(), tmp: TMP };
  log(`concurrency benchmark: ${K.STREAMS} slow streams held open through ${K.CONC_TARGETS.join(", ")}; mock sends a chunk every ${K.SLOW_INTERVAL_MS} ms`);
  if (!(await portFree(PORTS.mock))) throw new Error(`port ${PORTS.mock} (mock) is already in use`);
  const mock = startMock({ MOCK_SLOW_INTERVAL_MS: String(K.SLOW_INTERVAL_MS), MOCK_SLOW_HOLD_MS: String(240_000) });
  await waitPort(PORTS.mock, mock);
  const results = {};
  const phase = progress.start("concurrency benchmark", K.CONC_TARGETS.length);
  for (const [i, target] of K.CONC_TARGETS.entries()) {
    phase.update(i, target);
    log(`== ${target}`);
    const t = await startTarget(target);
    const r = { target, command: t.cmd, fd_limit: fdLimit(t.proc.pid) };
    // Warm (JIT, pools, heap) with a short burst, as a gateway that has been serving would be.
    await wrk(target, "stream", 2);
    await wrk(target, "nonstream", 1);
    await sleep(3000);
    r.idle_rss_kb = rssKb(t.proc.pid);
    r.unloaded = await probe(target, "stream");
    const rq = requestFor(target, "slow");
    const holder = start(
      `hold-${target}`,
      "node",
      [path.join(BENCH, "hold-streams.mjs"), rq.url, rq.body, String(K.STREAMS), JSON.stringify(rq.headers), String(K.OPEN_TIMEOUT_S * 1000), String(180_000)],
      { cpu: K.CPU_LOAD, stdin: "pipe" },
    );
    let holderOut = "";
    holder.stdout.on("data", (d) => (holderOut += d));
    const until = async (re, ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const m = re.exec(holderOut);
        if (m) return JSON.parse(m[1]);
        if (!children.has(holder.pid)) break;
        await sleep(100);
      }
      throw new Error(`holder: no ${re} in time:\n${tail(holder.logFile)}`);
    };
    r.open = await until(/^OPEN (.*)$/m, (K.OPEN_TIMEOUT_S + 10) * 1000);
    log(`   open: ${JSON.stringify(r.open)}`);
    await sleep(3000);
    const c0 = procTicks(t.proc.pid),
      tc0 = process.hrtime.bigint();
    const samples = [];
    for (let i = 0; i < 4; i++) {
      samples.push(rssKb(t.proc.pid));
      await sleep(500);
    }
    r.loaded_rss_kb = median(samples);
    r.mock_open_streams = (await mockStats()).open;
    r.loaded = await probe(target, "stream");
    r.held_cpu_pct = (100 * (procTicks(t.proc.pid) - c0)) / TCK / (Number(process.hrtime.bigint() - tc0) / 1e9); // includes the probes
    r.rss_per_stream_kb = (r.loaded_rss_kb - r.idle_rss_kb) / Math.max(1, r.open.open);
    r.added_ttft_at_load_ms = r.loaded.target.ttft_p50_ms - r.unloaded.target.ttft_p50_ms;
    r.gateway_ttft_overhead_unloaded_ms = r.unloaded.target.ttft_p50_ms - r.unloaded.direct.ttft_p50_ms;
    r.gateway_ttft_overhead_loaded_ms = r.loaded.target.ttft_p50_ms - r.loaded.direct.ttft_p50_ms;
    holder.stdin.write("close\n");
    r.closed = await until(/^CLOSED (.*)$/m, 15_000).catch((e) => ({ error: e.message }));
    // Every upstream stream should end once its client has gone.
    const endBy = Date.now() + 10_000;
    let m = await mockStats();
    while (m.open > 0 && Date.now() < endBy) {
      await sleep(250);
      m = await mockStats();
    }
    r.mock_open_after_close = m.open;
    r.upstream_release_s = m.open === 0 ? +((Date.now() - (endBy - 10_000)) / 1000).toFixed(2) : null;
    await sleep(2000);
    r.after_close_rss_kb = rssKb(t.proc.pid);
    await stop(holder);
    await stop(t.proc);
    results[target] = r;
    log(
      `   rss idle ${f(r.idle_rss_kb / 1024)} MB, with ${r.open.open} streams ${f(r.loaded_rss_kb / 1024)} MB (${f(r.rss_per_stream_kb, 1)} KB/stream), after close ${f(r.after_close_rss_kb / 1024)} MB; ttft p50 ${f(r.unloaded.target.ttft_p50_ms, 3)} -> ${f(r.loaded.target.ttft_p50_ms, 3)} ms`,
    );
  }
  await stop(mock);
  phase.update(K.CONC_TARGETS.length);
  phase.end(true);
  const rows = Object.values(results).map((r) => [
    r.target,
    `${r.open.open}/${K.STREAMS}`,
    f(r.idle_rss_kb / 1024, 0),
    f(r.loaded_rss_kb / 1024, 0),
    f(r.rss_per_stream_kb, 1),
    f((r.rss_per_stream_kb * 10_000) / 1024, 0),
    f(r.unloaded.target.ttft_p50_ms, 3),
    f(r.loaded.target.ttft_p50_ms, 3),
    f(r.added_ttft_at_load_ms, 3),
    `${f(r.unloaded.direct.ttft_p50_ms, 3)} → ${f(r.loaded.direct.ttft_p50_ms, 3)}`,
    f(r.held_cpu_pct, 0),
    r.mock_open_after_close,
  ]);
  const out = [];
  out.push(`\n${K.STREAMS} concurrent slow streams (one chunk per ${K.SLOW_INTERVAL_MS / 1000} s each) held open; gateway on CPU ${K.CPU_SUT}, holder + mock + probes on CPU ${K.CPU_LOAD}`);
  out.push(`${meta.machine.cpu_model}, ${meta.machine.nproc} CPUs, node ${meta.machine.node}; commit ${meta.machine.commit}${meta.machine.src_dirty ? " (src has uncommitted changes)" : ""}\n`);
  out.push(table(["target", "open", "idle RSS MB", "RSS open MB", "KB/stream", "MB per 10k", "TTFT unloaded ms", "TTFT loaded ms", "added ms", "direct TTFT ms", "CPU% held", "upstream left"], rows));
  out.push(`\nKB/stream = (RSS with the streams open − idle RSS) ÷ open streams. TTFT: median of ${K.PROBE_N} sequential 20-chunk stream probes, first content token.`);
  out.push(`CPU% held: gateway CPU while holding (and probing), % of one core. upstream left: mock streams still open 10 s after the clients closed (should be 0).`);
  const tg = results.tollgate;
  if (tg) {
    const mb = (tg.rss_per_stream_kb * 10_000) / 1024 + tg.idle_rss_kb / 1024;
    const added = tg.added_ttft_at_load_ms;
    out.push(
      `\nTarget: 10,000 streams < 1 GB RSS: Tollgate held ${tg.open.open} streams at ${f(tg.loaded_rss_kb / 1024, 0)} MB RSS (${f(mb, 0)} MB scaled to 10,000): ${mb < 1024 ? "met" : "ABOVE target"}`,
      `Target: added TTFT at that load < 2 ms: ${f(added, 3)} ms: ${Number.isFinite(added) && added < 2 ? "met" : "ABOVE target (or not measured)"}`,
    );
  }
  const text = out.join("\n");
  console.log(text);
  const md = [
    `| target | open | idle RSS MB | RSS open MB | KB/stream | MB per 10k | TTFT unloaded ms | TTFT loaded ms | added ms | direct TTFT ms | CPU% held | upstream left |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|`,
    ...rows.map((c) => `| ${c.join(" | ")} |`),
  ].join("\n");
  const file = writeResults("concurrency", { table_markdown: md, ...meta, finished: new Date().toISOString(), elapsed_s: (Date.now() - T0) / 1000, results, table: text });
  console.log(`\nresults: ${path.relative(ROOT, file)}  (elapsed ${((Date.now() - T0) / 1000).toFixed(0)} s)`);
}

// ---------------- profile mode ----------------
async function profile() {
  const target = env("PROF_TARGET", "tollgate");
  if (!(await portFree(PORTS.mock))) throw new Error(`port ${PORTS.mock} (mock) is already in use`);
  const mock = startMock();
  await waitPort(PORTS.mock, mock);
  const profDir = path.join(TMP, "prof");
  const modes = env("PROF_MODES", "nonstream stream").split(/\s+/);
  if (env("PROF_KIND", "cpu") === "alloc") return allocationProfile(target, modes, mock);
  if (env("PROF_KIND", "cpu") === "native") return nativeProfile(target, modes, mock);
  const t = await startTarget(target, { nodeFlags: ["--cpu-prof", "--cpu-prof-dir", profDir] });
  const phase = progress.start("profile", modes.length);
  for (const [i, mode] of modes.entries()) {
    phase.update(i, mode);
    log(`profiling ${target} under ${mode} load for ${K.PROF_DUR}s`);
    await wrk(target, mode, K.PROF_DUR);
  }
  phase.update(modes.length);
  phase.end(true);
  await stop(t.proc, "SIGTERM", 15_000);
  await stop(mock);
  const file = fs.readdirSync(profDir).find((x) => x.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  const out = await run("node", [path.join(BENCH, "cpu-profile-top.mjs"), path.join(profDir, file), env("PROF_TOP", "30")], { timeoutS: 60 });
  console.log(`\n${target} CPU profile under wrk -c${K.CONNS} (${modes.join(" + ")}, ${K.PROF_DUR}s each; includes start-up)\n`);
  console.log(out);
  const dest = path.join(BENCH, "results", `${STAMP}-profile.txt`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, out);
  fs.copyFileSync(path.join(profDir, file), dest.replace(/\.txt$/, ".cpuprofile"));
  console.log(`results: ${path.relative(ROOT, dest)} (+ .cpuprofile, open in Chrome DevTools)`);
}

/**
 * PROF_KIND=alloc: V8's sampling heap profiler over the inspector, counting what scavenges
 * collect too (allocation, not retention), after a warm-up; bytes per request the mock answered.
 * Works for the passthrough as well, to compare the two.
 */
async function allocationProfile(target, modes, mock) {
  const inspectPort = PORTS[target] + 1000;
  const t = await startTarget(target, { nodeFlags: [`--inspect=127.0.0.1:${inspectPort}`] });
  for (const mode of modes) await wrk(target, mode, K.WARM);
  const [{ webSocketDebuggerUrl }] = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const ws = new WebSocket(webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const replies = new Map();
  ws.onmessage = (m) => {
    const reply = JSON.parse(m.data);
    replies.get(reply.id)?.(reply);
  };
  let lastId = 0;
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      replies.set(++lastId, resolve);
      ws.send(JSON.stringify({ id: lastId, method, params }));
    });
  await call("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const before = (await mockStats(target)).completed;
  for (const mode of modes) {
    log(`sampling ${target}'s allocations under ${mode} load for ${K.PROF_DUR}s`);
    await wrk(target, mode, K.PROF_DUR);
  }
  const requests = (await mockStats(target)).completed - before;
  const { result } = await call("HeapProfiler.stopSampling");
  ws.close();
  await stop(t.proc, "SIGTERM", 15_000);
  await stop(mock);
  const dest = path.join(BENCH, "results", `${STAMP}-alloc.txt`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest.replace(/\.txt$/, ".heapprofile"), JSON.stringify(result.profile));
  const out = await run("node", [path.join(BENCH, "heap-profile-top.mjs"), dest.replace(/\.txt$/, ".heapprofile"), String(requests), env("PROF_TOP", "30")], { timeoutS: 60 });
  console.log(`\n${target} allocations under wrk -c${K.CONNS} (${modes.join(" + ")}, ${K.PROF_DUR}s each, after ${K.WARM}s of each)\n`);
  console.log(out);
  fs.writeFileSync(dest, out);
  console.log(`results: ${path.relative(ROOT, dest)} (+ .heapprofile, open in Chrome DevTools)`);
}

/**
 * PROF_KIND=native: `perf record` (a software clock, which a VM without hardware counters still
 * has) on the target under load after a warm-up, JavaScript frames named by --perf-basic-prof:
 * where the time goes inside native code (SQLite, V8's API and GC, the kernel), which a V8 CPU
 * profile shows only as one frame. µs per request the mock answered, by library and by symbol.
 * Needs `perf` (Debian: apt-get install linux-perf). V8 writes the JIT's symbols to
 * /tmp/perf-PID.map, where a later `perf report` of the kept .perf.data reads them: left there.
 */
async function nativeProfile(target, modes, mock) {
  const t = await startTarget(target, { nodeFlags: ["--perf-basic-prof"] });
  for (const mode of modes) await wrk(target, mode, K.WARM);
  const data = path.join(TMP, "perf.data");
  const hz = 999;
  const before = (await mockStats(target)).completed;
  const seconds = K.PROF_DUR * modes.length + 1;
  const recording = run("perf", ["record", "-e", "cpu-clock", "-F", String(hz), "-g", "-p", String(t.proc.pid), "-o", data, "--", "sleep", String(seconds)], { timeoutS: seconds + 30 });
  for (const mode of modes) {
    log(`sampling ${target} with perf under ${mode} load for ${K.PROF_DUR}s`);
    await wrk(target, mode, K.PROF_DUR);
  }
  await recording;
  const requests = (await mockStats(target)).completed - before;
  await stop(t.proc, "SIGTERM", 15_000);
  await stop(mock);
  const usPerSample = 1e6 / hz;
  const report = async (sort) => {
    const text = await run("perf", ["report", "-i", data, "--no-children", "--sort", sort, "--stdio", "--percent-limit", "0.3", "-F", `sample,${sort}`], { timeoutS: 120 });
    const rows = text
      .split("\n")
      .map((line) => line.match(/^\s*(\d+)\s+(.*)$/))
      .filter((m) => m !== null)
      .map(([, samples, what]) => ({ us: (Number(samples) * usPerSample) / requests, what: what.trim() }))
      .sort((a, b) => b.us - a.us);
    return rows.slice(0, Number(env("PROF_TOP", "30"))).map(({ us, what }) => `${us.toFixed(2).padStart(8)} µs  ${what}`);
  };
  const out = [`${requests} requests; µs of CPU per request (every thread), sampled at ${hz} Hz`, "\nBy library:", ...(await report("dso")), "\nBy symbol:", ...(await report("dso,sym"))].join("\n");
  console.log(`\n${target} native profile under wrk -c${K.CONNS} (${modes.join(" + ")}, ${K.PROF_DUR}s each, after ${K.WARM}s of each)\n`);
  console.log(out);
  const dest = path.join(BENCH, "results", `${STAMP}-native.txt`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, out);
  fs.copyFileSync(data, dest.replace(/\.txt$/, ".perf.data"));
  console.log(`results: ${path.relative(ROOT, dest)} (+ .perf.data with call chains: perf report -i FILE -G --symbols NAME)`);
}

try {
  if (!fs.existsSync(path.join(ROOT, "dist/cli/main.js"))) throw new Error("dist/cli/main.js missing: run npm run build first");
  const { Progress } = await import(path.join(ROOT, "dist/cli/progress.js"));
  progress = new Progress();
  if (MODE === "overhead") await overhead();
  else if (MODE === "concurrency") await concurrency();
  else await profile();
  // Logs, ledger databases and bodies: kept only when asked (or when the run failed).
  if (process.env.BENCH_KEEP_TMP !== "1") fs.rmSync(TMP, { recursive: true, force: true });
} catch (err) {
  console.error(`bench failed: ${err.stack ?? err}`);
  console.error(`logs in ${TMP}`);
  killAll();
  process.exit(1);
}
killAll();
if (CHECK && above > 0) {
  console.error(`bench --check: ${above} target(s) missed (see Targets above)`);
  process.exit(3);
}
process.exit(0);
