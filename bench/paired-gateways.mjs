#!/usr/bin/env node
// Gateway CPU per request, two builds paired end to end: a gateway from each built tree (DIST,
// comma-separated, default dist-old,dist) on bench/gateway.yaml's setup (a virtual key with
// rpm/tpm limits and a usd budget, a user budget rule, the SQLite ledger, a log line per request,
// metrics), both on one mock upstream, loaded by wrk -c64 with the load bench's non-stream body
// (a new number in each request) in short slices alternated between them ROUNDS times (default 8,
// SLICE_S seconds each, default 5). CPU is the gateway process's utime+stime from /proc, per
// request served; medians, and the per-round ratio of each build to the first.
// Ports: BASE_PORT (default 29200) for the mock, the next ones for the gateways.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DISTS = (process.env.DIST ?? "dist-old,dist").split(",");
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const SLICE_S = Number(process.env.SLICE_S ?? 5);
const BASE_PORT = Number(process.env.BASE_PORT ?? 29200);
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-paired-"));
const TICK_US = 1e6 / 100; // /proc/<pid>/stat counts clock ticks of 10 ms (CLK_TCK 100 on Linux)

const procs = [];
const startProc = (cmd, args, options) => {
  const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", fs.openSync(path.join(TMP, `${procs.length}.err`), "w")], ...options });
  procs.push(proc);
  return proc;
};
const stop = () => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
};
process.on("exit", stop);

async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

const mockPort = BASE_PORT;
startProc("node", [path.join(ROOT, "bench/mock-upstream.mjs")], { env: { ...process.env, MOCK_PORT: String(mockPort) } });
await waitPort(mockPort);

const yaml = fs.readFileSync(path.join(ROOT, "bench/gateway.yaml"), "utf8").replaceAll("127.0.0.1:19000", `127.0.0.1:${mockPort}`);
const gateways = [];
for (const [i, dist] of DISTS.entries()) {
  const port = BASE_PORT + 1 + i;
  const dir = path.join(TMP, `gw${i}`);
  fs.mkdirSync(dir);
  const config = path.join(dir, "gateway.yaml");
  fs.writeFileSync(config, yaml.replace("port: 19500", `port: ${port}`));
  const adminKey = `bench-admin-${randomBytes(12).toString("hex")}`;
  const env = { ...process.env, TOLLGATE_BENCH_ADMIN_KEY: adminKey, TOLLGATE_BENCH_DATABASE_URL: `sqlite:${path.join(dir, "ledger.db")}` };
  const proc = startProc("node", [path.join(path.resolve(ROOT, dist), "cli/main.js"), "start", "--config", config, "--port", String(port)], { cwd: dir, env });
  await waitPort(port);
  const created = await fetch(`http://127.0.0.1:${port}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      user_id: "bench-user",
      name: "bench",
      team_id: "bench-team",
      allowed_models: ["m"],
      tags: { env: "bench" },
      limits: { budgets: [{ period: "day", usd: 1_000_000 }], rpm: 1_000_000_000, tpm: 1_000_000_000_000 },
    }),
  });
  const { secret } = await created.json();
  gateways.push({ label: dist, port, proc, secret, cpu: [], rps: [] });
}

const bodyFile = path.join(TMP, "body.json");
fs.writeFileSync(
  bodyFile,
  JSON.stringify({
    model: "m",
    messages: [
      { role: "system", content: "You are a concise assistant for backend engineers." },
      { role: "user", content: "Summarise the trade-offs between retries and fallbacks in an LLM gateway, in two sentences. (request {{n}})" },
    ],
  }),
);

const cpuTicks = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
};

function wrk(g, seconds) {
  return new Promise((resolve, reject) => {
    const args = ["-t1", "-c64", `-d${seconds}s`, "-s", path.join(ROOT, "bench/post.lua"), "-H", `Authorization: Bearer ${g.secret}`, `http://127.0.0.1:${g.port}/v1/chat/completions`];
    const child = spawn("wrk", args, { env: { ...process.env, BODY_FILE: bodyFile } });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (!line) return reject(new Error(`wrk printed no result: ${out}`));
      const result = JSON.parse(line.slice(7));
      if (result.non2xx > 0) return reject(new Error(`${result.non2xx} non-2xx answers from ${g.label}`));
      resolve(result);
    });
  });
}

// Warm-up: each gateway's code optimised and its memos filled, uncounted.
for (const g of gateways) await wrk(g, 3);
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so neither build always runs first in a round.
  const order = round % 2 === 0 ? gateways : [...gateways].reverse();
  for (const g of order) {
    const before = cpuTicks(g.proc.pid);
    const result = await wrk(g, SLICE_S);
    g.cpu.push(((cpuTicks(g.proc.pid) - before) * TICK_US) / result.requests);
    g.rps.push(result.rps);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`gateway CPU µs per non-stream request (wrk -c64, ${ROUNDS} rounds of ${SLICE_S} s per build; median, per-round ratio to ${gateways[0].label})`);
for (const g of gateways) {
  const ratios = g.cpu.map((c, i) => c / gateways[0].cpu[i]).sort((a, b) => a - b);
  const spread = g === gateways[0] ? "" : `  ×${median(ratios).toFixed(3)} (rounds ${ratios[0].toFixed(3)}–${ratios.at(-1).toFixed(3)})`;
  console.log(`${g.label.padEnd(10)} ${median(g.cpu).toFixed(1)} µs  ${median(g.rps).toFixed(0)} rps${spread}`);
  console.log(`  rounds: ${g.cpu.map((c) => c.toFixed(1)).join(" ")}`);
}
stop();
