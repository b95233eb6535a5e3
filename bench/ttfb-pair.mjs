// Paired TTFB probe: two or more Tollgate builds run at once against one mock, with requests
// alternating between the builds and direct-to-mock, one keep-alive connection each, sequential
// (unloaded). Each step sends, for every build in a fresh random order, one request straight to the
// mock and then one to the build (so no build pays for the tail of the same neighbour every time);
// stream and non-stream steps alternate. Per round: the median added TTFB/TTFT of each build (its
// median minus the median of the direct requests sent just before it); the summary gives the
// median over rounds and, for each build against the first, the per-round difference and ratio.
// Also each gateway's CPU per request (its process's user + system time from /proc over the round,
// stream and non-stream requests together; 10 ms ticks, so read it over several rounds).
// This VM's CPU time swings minute to minute, so read the paired differences, not the levels.
//
// usage: node bench/ttfb-pair.mjs label=ROOT [label=ROOT ...]
//   ROOT: a checkout with a built dist/ (npm run build). The first build is the reference.
// env: PORT_BASE (29100; the mock takes it, the builds the next ports), ROUNDS (10),
//      STEPS (300 steps per round, each one stream and one non-stream request per build),
//      WARM (200 steps first, not counted), DEADLINE_S (600: stops early, summary of what ran),
//      CONFIG (bench/gateway.yaml; its mock port is rewritten), NODE_FLAGS (for the gateways,
//      e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), KEEP=1 (keep the temp dir: gateway logs)
// Binds 127.0.0.1 only; stops only the processes it started.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { timedPost } from "./timed-post.mjs";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, "..");
const env = (k, d) => process.env[k] ?? d;
const PORT_BASE = Number(env("PORT_BASE", 29100));
const ROUNDS = Number(env("ROUNDS", 10));
const STEPS = Number(env("STEPS", 300));
const WARM = Number(env("WARM", 200));
const DEADLINE = Date.now() + 1000 * Number(env("DEADLINE_S", 600));
const NODE_FLAGS = env("NODE_FLAGS", "").split(/\s+/).filter(Boolean);
const builds = process.argv.slice(2).map((a, i) => {
  const [label, root] = a.includes("=") ? a.split("=") : [`b${i}`, a];
  const main = path.resolve(root, "dist/cli/main.js");
  if (!fs.existsSync(main)) throw new Error(`${main}: not built (npm run build there)`);
  return { label, main, port: PORT_BASE + 1 + i };
});
if (builds.length === 0) throw new Error("usage: node bench/ttfb-pair.mjs label=ROOT [label=ROOT ...]");

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "ttfb-pair-"));
const CHAT = "/v1/chat/completions";
const MESSAGES = [
  { role: "system", content: "You are a concise assistant for backend engineers." },
  { role: "user", content: "Summarise the trade-offs between retries and fallbacks in an LLM gateway, in two sentences. (request {{n}})" },
];
const BODIES = {
  stream: Buffer.from(JSON.stringify({ model: "m", stream: true, stream_options: { include_usage: true }, messages: MESSAGES })),
  nonstream: Buffer.from(JSON.stringify({ model: "m", messages: MESSAGES })),
};
const MODES = ["stream", "nonstream"];

const procs = [];
function start(name, args, extra = {}) {
  const log = fs.openSync(path.join(TMP, `${name}.log`), "a");
  const p = spawn(process.execPath, args, { stdio: ["ignore", log, log], ...extra });
  procs.push(p);
  return p;
}
function stopAll() {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
}
process.on("exit", stopAll);
process.on("SIGINT", () => process.exit(130));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitPort(port, proc) {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`process for port ${port} exited (${proc.exitCode}); logs in ${TMP}`);
    const ok = await new Promise((r) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (res) => {
        res.resume();
        r(true);
      });
      req.on("error", () => r(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} did not open`);
}
function post(port, p, body, headers) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request({ host: "127.0.0.1", port, path: p, method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": data.length, ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

// ---- one probe request: ttfb (first body byte), ttft (first non-empty content, SSE; else the end)
async function one(t, mode) {
  const r = await timedPost({ host: "127.0.0.1", port: t.port, path: CHAT, headers: t.headers, body: BODIES[mode], agent: t.agent });
  return r && r.status === 200 ? r : null;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const shuffle = (a) => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : "-");
const TICK_US = 1e6 / 100; // USER_HZ
/** User + system CPU ticks of a process so far. */
const ticks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]);
};

async function main() {
  const mock = start("mock", [path.join(BENCH, "mock-upstream.mjs")], { env: { ...process.env, MOCK_PORT: String(PORT_BASE) } });
  await waitPort(PORT_BASE, mock);
  const config = path.join(TMP, "gateway.yaml");
  fs.writeFileSync(config, fs.readFileSync(path.resolve(ROOT, env("CONFIG", "bench/gateway.yaml")), "utf8").replaceAll("127.0.0.1:19000", `127.0.0.1:${PORT_BASE}`));
  for (const b of builds) {
    const dir = path.join(TMP, b.label);
    fs.mkdirSync(dir);
    const adminKey = `bench-admin-${randomBytes(12).toString("hex")}`;
    b.proc = start(b.label, [...NODE_FLAGS, b.main, "start", "--config", config, "--port", String(b.port)], {
      cwd: dir,
      env: { ...process.env, TOLLGATE_BENCH_ADMIN_KEY: adminKey, TOLLGATE_BENCH_DATABASE_URL: `sqlite:${path.join(dir, "ledger.db")}` },
    });
    await waitPort(b.port, b.proc);
    const created = await post(
      b.port,
      "/admin/keys",
      { user_id: "bench-user", name: "bench", team_id: "bench-team", allowed_models: ["m"], limits: { budgets: [{ period: "day", usd: 1_000_000 }], rpm: 1e9, tpm: 1e12 } },
      { authorization: `Bearer ${adminKey}` },
    );
    const secret = created.status === 201 ? JSON.parse(created.text).secret : undefined;
    if (!secret) throw new Error(`${b.label}: POST /admin/keys -> ${created.status}: ${created.text.slice(0, 300)}`);
    b.headers = { authorization: `Bearer ${secret}` };
  }
  const targets = builds.map((b) => ({ ...b, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) }));
  // The mock gets one connection per build: a direct request sent just before a build's uses its own.
  const directs = builds.map(() => ({ port: PORT_BASE, headers: {}, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) }));

  const step = async (sample) => {
    for (const mode of MODES)
      for (const i of shuffle(targets.map((_, k) => k))) {
        const d = await one(directs[i], mode);
        const t = await one(targets[i], mode);
        if (sample) sample(mode, i, d, t);
      }
  };
  for (let s = 0; s < WARM && Date.now() < DEADLINE; s++) await step();

  const rounds = [];
  let bad = 0;
  for (let r = 0; r < ROUNDS && Date.now() < DEADLINE; r++) {
    const acc = Object.fromEntries(MODES.map((m) => [m, targets.map(() => ({ d: { ttfb: [], ttft: [] }, t: { ttfb: [], ttft: [] } }))]));
    const cpu0 = targets.map((t) => ticks(t.proc.pid));
    let s = 0;
    for (; s < STEPS && Date.now() < DEADLINE; s++)
      await step((mode, i, d, t) => {
        if (!d || !t) return void bad++;
        const a = acc[mode][i];
        for (const k of ["ttfb", "ttft"]) {
          a.d[k].push(d[k]);
          a.t[k].push(t[k]);
        }
      });
    if (s < STEPS / 2) break; // a cut-off round is too short to compare
    const round = { cpu: targets.map((t, i) => ((ticks(t.proc.pid) - cpu0[i]) * TICK_US) / (s * MODES.length)) };
    for (const mode of MODES)
      round[mode] = acc[mode].map((a) => ({
        ttfb: median(a.t.ttfb),
        ttft: median(a.t.ttft),
        added_ttfb: median(a.t.ttfb) - median(a.d.ttfb),
        added_ttft: median(a.t.ttft) - median(a.d.ttft),
      }));
    rounds.push(round);
    const line = MODES.map((m) => `${m} ${targets.map((t, i) => `${t.label} +${f3(round[m][i].added_ttfb)}/+${f3(round[m][i].added_ttft)}`).join(" ")}`).join(" | ");
    console.log(`round ${r + 1}: added ttfb/ttft ms: ${line} | cpu µs/req ${targets.map((t, i) => `${t.label} ${Math.round(round.cpu[i])}`).join(" ")}`);
  }

  console.log(`\n${rounds.length} rounds of ${STEPS} steps (each: a stream and a non-stream request per build, each after one direct), ${bad} failed requests`);
  console.log("median over rounds of the per-round medians, ms (added = build − the direct requests sent just before it):");
  for (const mode of MODES)
    for (const [i, t] of targets.entries()) {
      const col = (k) => median(rounds.map((r) => r[mode][i][k]));
      console.log(`  ${mode.padEnd(9)} ${t.label.padEnd(10)} ttfb ${f3(col("ttfb"))} ttft ${f3(col("ttft"))}  added ttfb +${f3(col("added_ttfb"))} ttft +${f3(col("added_ttft"))}`);
    }
  // Within one process, so free of a process's own offset (two processes of one build differ by a few hundredths of a ms here).
  console.log(
    `  stream's added ttfb minus non-stream's, same build and round, median (min…max): ${targets
      .map((t, i) => {
        const d = rounds.map((r) => r.stream[i].added_ttfb - r.nonstream[i].added_ttfb);
        return `${t.label} ${f3(median(d))} (${f3(Math.min(...d))}…${f3(Math.max(...d))})`;
      })
      .join(", ")}`,
  );
  console.log(`  cpu µs/req (both modes) ${targets.map((t, i) => `${t.label} ${Math.round(median(rounds.map((r) => r.cpu[i])))}`).join(", ")}`);
  if (targets.length > 1) {
    const cpuRatio = (i) => rounds.map((r) => r.cpu[i] / r.cpu[0]);
    for (const [i, t] of targets.entries())
      if (i > 0) console.log(`  cpu ratio ${t.label} ÷ ${targets[0].label} per round: ${f3(median(cpuRatio(i)))} (${f3(Math.min(...cpuRatio(i)))}…${f3(Math.max(...cpuRatio(i)))})`);
    console.log(`paired per round against ${targets[0].label}: added difference in ms, median (min…max), rounds lower; ratio of added, median (min…max):`);
    for (const mode of MODES)
      for (const [i, t] of targets.entries()) {
        if (i === 0) continue;
        for (const k of ["added_ttfb", "added_ttft"]) {
          const diff = rounds.map((r) => r[mode][i][k] - r[mode][0][k]);
          const ratio = rounds.map((r) => r[mode][i][k] / r[mode][0][k]);
          const lower = diff.filter((x) => x < 0).length;
          console.log(
            `  ${mode.padEnd(9)} ${t.label.padEnd(10)} ${k.padEnd(10)} ${f3(median(diff))} (${f3(Math.min(...diff))}…${f3(Math.max(...diff))}) ${lower}/${diff.length} lower; ratio ${f3(median(ratio))} (${f3(Math.min(...ratio))}…${f3(Math.max(...ratio))})`,
          );
        }
      }
  }
  for (const t of [...targets, ...directs]) t.agent.destroy();
}

try {
  await main();
} finally {
  stopAll();
  await sleep(300);
  if (env("KEEP", "") === "1") console.log(`logs and ledgers kept in ${TMP}`);
  else fs.rmSync(TMP, { recursive: true, force: true });
}
