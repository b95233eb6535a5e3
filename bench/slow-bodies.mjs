#!/usr/bin/env node
// Keyed latency with and without 500 slow unauthenticated uploads (npm run bench:slow-bodies, ~20 s).
// The gateway (dist/, simulator upstream) runs as its own process; 500 clients keep trying to
// upload 4 MB bodies a few bytes at a time without a valid key (each is refused at once, 401,
// and reconnects), while one keyed client sends sequential requests. Prints p50/p99 of the
// keyed requests alone and under that load, and the gateway's RSS.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env.N ?? 300);
const UPLOADS = Number(process.env.UPLOADS ?? 500);
const KEY = "bench-slow-bodies-key-0123456789";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tollgate-slow-bench-"));
fs.writeFileSync(
  path.join(dir, "gateway.yaml"),
  `database: { url: "sqlite:${path.join(dir, "ledger.db")}" }
auth: { keys: ["env:BENCH_KEY"] }
observability: { logs: { level: warn } }
providers: { sim: { type: simulator, ttftMs: 0, tokensPerSecond: 1000000, answerTokens: 20 } }
models: { sim: { targets: [{ provider: sim, model: sim }] } }
`,
);
const child = spawn(process.execPath, [path.join(ROOT, "dist/cli/main.js"), "start", "--config", path.join(dir, "gateway.yaml"), "--port", "0"], {
  cwd: dir,
  env: { ...process.env, BENCH_KEY: KEY },
  stdio: ["ignore", "pipe", "inherit"],
});
const stop = () => {
  child.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on("exit", stop);
const deadline = setTimeout(() => {
  console.error("slow-bodies bench: over 60 s, stopping");
  process.exit(1);
}, 60_000);

const url = await new Promise((resolve) => {
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
});
const { hostname, port } = new URL(url);
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024;
const body = JSON.stringify({ model: "sim", max_tokens: 20, messages: [{ role: "user", content: "hi" }] });

async function keyedRun(n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`keyed request got ${res.statusCode}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)], p99: times[Math.floor(n * 0.99)] };
}

let uploading = true;
let refused = 0;
// Uploads whose connection ended in an error (a reset) rather than a close.
let resets = 0;
function upload() {
  if (!uploading) return;
  const socket = net.connect(Number(port), hostname);
  socket.on("error", () => uploading && resets++);
  socket.on("data", (d) => String(d).startsWith("HTTP/1.1 401") && refused++);
  socket.on("close", () => setImmediate(upload));
  socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${4 * 1024 * 1024}\r\n\r\n{"model":"sim",`);
  const trickle = setInterval(() => (socket.writable ? socket.write("  ") : clearInterval(trickle)), 200);
  socket.on("close", () => clearInterval(trickle));
}

await keyedRun(50);
const idle = await keyedRun(N);
const rssBefore = rss();
for (let i = 0; i < UPLOADS; i++) upload();
const loaded = await keyedRun(N);
const rssLoaded = rss();
uploading = false;
clearTimeout(deadline);
console.log(`keyed latency, ${N} sequential requests (node ${process.version}, ${os.cpus()[0]?.model ?? "?"}):`);
console.log(`  alone:                           p50 ${idle.p50.toFixed(2)} ms  p99 ${idle.p99.toFixed(2)} ms`);
console.log(
  `  with ${UPLOADS} slow unauthenticated uploads: p50 ${loaded.p50.toFixed(2)} ms  p99 ${loaded.p99.toFixed(2)} ms  (${(loaded.p50 / idle.p50).toFixed(2)}× at p50; ${refused} uploads refused with 401 meanwhile, ${resets} connections reset)`,
);
console.log(`  gateway RSS: ${rssBefore.toFixed(0)} MB before the uploads, ${rssLoaded.toFixed(0)} MB under them`);
process.exit(0);
