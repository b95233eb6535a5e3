// Latency probe: N sequential rounds; each round sends one request to every endpoint in turn (so drift
// on the box hits all of them alike), each endpoint over its own keep-alive connection.
// usage: node probe.mjs SPECS_JSON N DEADLINE_MS      SPECS_JSON: [{ name, url, body: FILE, headers? }]
// Prints: PROBE { name: { n, bad, ttfb_p50_ms, ttfb_p99_ms, ttft_p50_ms, ttft_p99_ms, total_p50_ms, total_p99_ms } }
//   ttfb: request sent -> first response body byte
//   ttft: request sent -> first body byte that completes a non-empty `"content":"...` (SSE); the whole body otherwise
import http from "node:http";
import { readFileSync } from "node:fs";
import { timedPost } from "./timed-post.mjs";

const [specsJson, nStr = "200", deadlineStr = "20000"] = process.argv.slice(2);
const specs = JSON.parse(specsJson).map((spec) => {
  const u = new URL(spec.url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new Error("probe talks to loopback only");
  const body = readFileSync(spec.body);
  return {
    name: spec.name,
    u,
    body,
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    headers: spec.headers ?? {},
    ttfb: [],
    ttft: [],
    total: [],
    bad: 0,
  };
});
const deadline = Date.now() + Number(deadlineStr);
const one = async (spec) => {
  const { u, body, headers, agent } = spec;
  const r = await timedPost({ host: u.hostname, port: u.port, path: u.pathname, headers, body, agent });
  if (!r || r.status !== 200) spec.bad++;
  if (!r) return;
  spec.ttfb.push(r.ttfb);
  spec.ttft.push(r.ttft);
  spec.total.push(r.total);
};

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const n = Number(nStr);
for (let i = 0; i < n && Date.now() < deadline; i++) for (const spec of specs) await one(spec);
const r = (x) => Math.round(x * 1000) / 1000;
const out = {};
for (const s of specs) {
  s.agent.destroy();
  out[s.name] = {
    n: s.total.length,
    bad: s.bad,
    ttfb_p50_ms: r(pct(s.ttfb, 50)),
    ttfb_p99_ms: r(pct(s.ttfb, 99)),
    ttft_p50_ms: r(pct(s.ttft, 50)),
    ttft_p99_ms: r(pct(s.ttft, 99)),
    total_p50_ms: r(pct(s.total, 50)),
    total_p99_ms: r(pct(s.total, 99)),
  };
}
console.log(`PROBE ${JSON.stringify(out)}`);
