// Unloaded latency probe: N sequential requests over one keep-alive connection.
// usage: node probe.mjs URL BODY_FILE N DEADLINE_MS [HEADERS_JSON]
// Prints: PROBE {"n","bad","ttfb_p50_ms","ttfb_p99_ms","ttft_p50_ms","total_p50_ms",...}
//   ttfb: request sent -> first response body byte
//   ttft: request sent -> first body byte that completes a non-empty `"content":"...` (SSE); the whole body otherwise
import http from "node:http";
import { readFileSync } from "node:fs";

const [url, bodyFile, nStr = "200", deadlineStr = "20000", hdrs = "{}"] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const u = new URL(url);
if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new Error("probe talks to loopback only");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const headers = { "content-type": "application/json", "content-length": body.length, ...JSON.parse(hdrs) };
const deadline = Date.now() + Number(deadlineStr);
const ttfb = [], ttft = [], total = [];
let bad = 0;
const CONTENT = /"content":"[^"]/;

const one = () =>
  new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let t1 = 0n, tc = 0n, text = "";
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers, agent }, (res) => {
      if (res.statusCode !== 200) bad++;
      const sse = String(res.headers["content-type"]).startsWith("text/event-stream");
      res.setEncoding("utf8");
      res.on("data", (d) => {
        const now = process.hrtime.bigint();
        if (!t1) t1 = now;
        if (sse && !tc) {
          text += d;
          if (CONTENT.test(text)) tc = now;
        }
      });
      res.on("end", () => {
        const t2 = process.hrtime.bigint();
        ttfb.push(Number((t1 || t2) - t0) / 1e6);
        ttft.push(Number((tc || t2) - t0) / 1e6);
        total.push(Number(t2 - t0) / 1e6);
        resolve();
      });
    });
    req.setTimeout(10_000, () => {
      bad++;
      req.destroy();
      resolve();
    });
    req.on("error", () => {
      bad++;
      resolve();
    });
    req.end(body);
  });

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const n = Number(nStr);
for (let i = 0; i < n && Date.now() < deadline; i++) await one();
agent.destroy();
const r = (x) => Math.round(x * 1000) / 1000;
console.log(
  "PROBE " +
    JSON.stringify({
      n: total.length, bad,
      ttfb_p50_ms: r(pct(ttfb, 50)), ttfb_p99_ms: r(pct(ttfb, 99)),
      ttft_p50_ms: r(pct(ttft, 50)), ttft_p99_ms: r(pct(ttft, 99)),
      total_p50_ms: r(pct(total, 50)), total_p99_ms: r(pct(total, 99)),
    }),
);
