// Mock OpenAI Chat Completions upstream for the benchmarks. node:http only, no dependencies.
//
// Env: MOCK_PORT (19000), MOCK_HOST (127.0.0.1, loopback only), MOCK_CHUNKS (20), MOCK_DELAY_MS (0),
//      MOCK_SLOW_INTERVAL_MS (5000), MOCK_SLOW_HOLD_MS (120000)
// Per-request overrides (headers):
//   x-mock-chunks: N        content chunks in a stream
//   x-mock-delay-ms: MS     pause before each content chunk (paced streams)
//   x-mock-bytes: N         a non-stream answer whose content is about N bytes (the large-answer mode)
//   x-mock-slow: 1          slow mode: role + one content chunk at once, then one chunk every
//                           MOCK_SLOW_INTERVAL_MS until MOCK_SLOW_HOLD_MS, then finish (holds streams open)
// GET /__stats -> { started, completed, open }: completed counts responses fully written, which the
// orchestrator reads at both edges of a measurement window.
import http from "node:http";

const HOST = process.env.MOCK_HOST || "127.0.0.1";
const PORT = Number(process.env.MOCK_PORT || 19000);
const CHUNKS = Number(process.env.MOCK_CHUNKS || 20);
const DELAY = Number(process.env.MOCK_DELAY_MS || 0);
const SLOW_INTERVAL = Number(process.env.MOCK_SLOW_INTERVAL_MS || 5000);
const SLOW_HOLD = Number(process.env.MOCK_SLOW_HOLD_MS || 120_000);
if (!["127.0.0.1", "::1", "localhost"].includes(HOST)) throw new Error(`mock-upstream binds loopback only, got ${HOST}`);

const stats = { started: 0, completed: 0, open: 0 };
const ID = "chatcmpl-mock";
const CREATED = 1700000000;

// Frames are built once per model name: the mock must stay cheap next to wrk on the load core.
const frameCache = new Map();
function framesFor(model) {
  let f = frameCache.get(model);
  if (f) return f;
  const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: ID, object: "chat.completion.chunk", created: CREATED, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const completion = JSON.stringify({
    id: ID,
    object: "chat.completion",
    created: CREATED,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "Hello from the mock upstream." }, finish_reason: "stop" }],
    usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
  });
  const tokens = [];
  const token = (i) => (tokens[i] ??= chunk({ content: `tok${i} ` }));
  const usage = (n) =>
    `data: ${JSON.stringify({ id: ID, object: "chat.completion.chunk", created: CREATED, model, choices: [], usage: { prompt_tokens: 9, completion_tokens: n, total_tokens: 9 + n } })}\n\n`;
  const bigCompletions = new Map();
  // A long answer of words, built once per size.
  const big = (bytes) => {
    let out = bigCompletions.get(bytes);
    if (out) return out;
    const content = "lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes);
    out = JSON.stringify({
      id: ID,
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 9, completion_tokens: Math.ceil(bytes / 5), total_tokens: 9 + Math.ceil(bytes / 5) },
    });
    if (bigCompletions.size < 4) bigCompletions.set(bytes, out);
    return out;
  };
  f = { completion, big, role: chunk({ role: "assistant", content: "" }), token, stop: chunk({}, "stop"), usage };
  if (frameCache.size < 64) frameCache.set(model, f);
  return f;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stream(req, res, body) {
  const f = framesFor(body.model || "mock-model");
  const slow = req.headers["x-mock-slow"] === "1";
  const n = Number(req.headers["x-mock-chunks"] ?? CHUNKS);
  const delay = Number(req.headers["x-mock-delay-ms"] ?? DELAY);
  const usage = Boolean(body.stream_options?.include_usage);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  stats.open++;
  let closed = false;
  res.on("close", () => {
    closed = true;
    stats.open--;
  });
  const finish = (count) => {
    if (closed) return;
    res.write(f.stop);
    if (usage) res.write(f.usage(count));
    res.end("data: [DONE]\n\n");
    stats.completed++;
  };
  res.write(f.role);
  if (slow) {
    res.write(f.token(0));
    let i = 1;
    const started = Date.now();
    const timer = setInterval(() => {
      if (closed) return clearInterval(timer);
      if (Date.now() - started >= SLOW_HOLD) {
        clearInterval(timer);
        return finish(i);
      }
      res.write(f.token(i++ % 1000));
    }, SLOW_INTERVAL);
    return;
  }
  if (delay <= 0) {
    for (let i = 0; i < n; i++) res.write(f.token(i));
    return finish(n);
  }
  void (async () => {
    for (let i = 0; i < n && !closed; i++) {
      await sleep(delay);
      if (!closed) res.write(f.token(i));
    }
    finish(n);
  })();
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/__stats") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(stats));
  }
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end('{"object":"list","data":[{"id":"mock-model","object":"model"}]}');
  }
  if (req.method !== "POST" || !req.url.endsWith("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" });
    return res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
  }
  const bufs = [];
  req.on("data", (c) => bufs.push(c));
  req.on("end", () => {
    stats.started++;
    let body;
    try {
      body = JSON.parse(Buffer.concat(bufs).toString() || "{}");
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      return res.end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
    }
    if (body.stream) return stream(req, res, body);
    const frames = framesFor(body.model || "mock-model");
    const bytes = Number(req.headers["x-mock-bytes"] ?? 0);
    const out = bytes > 0 ? frames.big(bytes) : frames.completion;
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
    res.end(out);
    stats.completed++;
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(PORT, HOST, () => console.log(`mock upstream on http://${HOST}:${PORT}`));
process.on("SIGTERM", () => process.exit(0));
