// Opens N concurrent streaming requests (one connection each) and holds them open.
// usage: node hold-streams.mjs URL BODY_FILE N [HEADERS_JSON] [OPEN_TIMEOUT_MS] [MAX_HOLD_MS]
// Prints "OPEN {...}" once every stream has its first content chunk (or the open timeout passed),
// then holds until a line "close" arrives on stdin (or MAX_HOLD_MS), aborts every stream,
// prints "CLOSED {...}" and exits. Progress goes to stderr.
import http from "node:http";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const [url, bodyFile, nStr, hdrs = "{}", openTimeoutStr = "60000", maxHoldStr = "120000"] = process.argv.slice(2);
const N = Number(nStr);
const PARALLEL = Number(process.env.HOLD_PARALLEL_OPEN || 200);
const body = readFileSync(bodyFile);
const u = new URL(url);
if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new Error("hold-streams talks to loopback only");
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const headers = { "content-type": "application/json", "content-length": body.length, ...JSON.parse(hdrs) };

const reqs = new Set();
const st = { requested: 0, open: 0, failed: 0, ended_early: 0, non200: 0, bytes: 0, first_errors: [] };
let pending = 0,
  closing = false,
  resolveAll;
const allSettled = new Promise((r) => (resolveAll = r));
const settledCount = () => st.open + st.failed;
const t0 = Date.now();

function fail(err) {
  st.failed++;
  if (st.first_errors.length < 5) st.first_errors.push(String(err?.message ?? err));
}

function openOne() {
  st.requested++;
  pending++;
  let counted = false;
  const done = (ok, err) => {
    if (counted) return;
    counted = true;
    pending--;
    if (ok) st.open++;
    else fail(err);
    if (settledCount() >= N) resolveAll();
    else pump();
  };
  const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers, agent }, (res) => {
    if (res.statusCode !== 200) st.non200++;
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (d) => {
      st.bytes += d.length;
      if (!counted) {
        text += d;
        if (/"content":"[^"]/.test(text)) done(true);
        else if (res.statusCode !== 200) done(false, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
      }
    });
    res.on("end", () => {
      if (!closing) st.ended_early++;
      done(false, `ended before first content (HTTP ${res.statusCode})`);
    });
    res.on("error", () => {});
  });
  req.on("error", (err) => {
    if (!closing) done(false, err);
  });
  req.end(body);
  reqs.add(req);
}

function pump() {
  while (!closing && st.requested < N && pending < PARALLEL) openOne();
}

const progress = setInterval(() => process.stderr.write(`hold: open=${st.open} failed=${st.failed} pending=${pending} t=${((Date.now() - t0) / 1000).toFixed(1)}s\n`), 2000);
pump();
await Promise.race([allSettled, new Promise((r) => setTimeout(r, Number(openTimeoutStr)))]);
clearInterval(progress);
const { first_errors, ...counts } = st;
console.log(`OPEN ${JSON.stringify({ ...counts, first_errors, open_seconds: (Date.now() - t0) / 1000 })}`);

const closeAll = () => {
  if (closing) return;
  closing = true;
  for (const r of reqs) r.destroy();
  agent.destroy();
  console.log(`CLOSED ${JSON.stringify({ open_at_close: st.open - st.ended_early, ended_early: st.ended_early })}`);
  setTimeout(() => process.exit(0), 200);
};
createInterface({ input: process.stdin }).on("line", (line) => line.trim() === "close" && closeAll());
process.stdin.on("end", closeAll);
setTimeout(closeAll, Number(maxHoldStr)).unref();
process.on("SIGTERM", closeAll);
