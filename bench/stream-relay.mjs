#!/usr/bin/env node
// The CPU of one streamed answer on the gateway's reading + relay path, measured directly on the
// built code (npm run build first; no ports, a few seconds): a 2,000-frame OpenAI chat stream
// arriving in network reads of a few frames each, then a finish frame, a usage frame and [DONE],
// is opened by openUpstream (the attempt's timer and phases, UpstreamStream, FrameReader, UsageTap)
// from a transport that answers at once, and goes through the relay stage into a sink that
// encodes strings to UTF-8 as node's socket write would. FRAMES=20 PER_READ=all is a short answer
// from a nearby upstream (it comes in one read): its figure is mostly the per-stream fixed cost. Reported in µs of CPU per frame, beside
// the floor: the same reads through a Readable into the same sink, as a bare proxy pipes them.
// Several builds are loaded into the one process and their runs interleaved, so that a busy
// machine slows them alike.
// Env: FRAMES (2000), PER_READ (frames per network read, 4; "all": the whole stream in one read, as
// a short answer from a nearby upstream comes), ROUNDS (20, of about 50,000 frames each, after 4 not
// counted), USAGE (1: the client asked for include_usage, so frames pass unchanged; 0: they
// are rewritten), DIST (comma-separated built trees to compare, default dist/: e.g. one built from
// an archive of an earlier commit, with node_modules linked beside it).
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DISTS = (process.env.DIST ?? "dist").split(",");
const FRAMES = Number(process.env.FRAMES ?? 2000);
const PER_READ = process.env.PER_READ === "all" ? Number.POSITIVE_INFINITY : Number(process.env.PER_READ ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const WARMUP = 4;
const USAGE = process.env.USAGE !== "0";

// As OpenAI sends chunks once usage is asked for (the gateway always asks): `"usage":null` in each, and a field after it.
const frame = (delta, finish = null, extra = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }], usage: null, obfuscation: "Qup1BsQ3", ...extra })}\n\n`;
const frames = [frame({ role: "assistant", content: "" })];
for (let i = 0; i < FRAMES; i++) frames.push(frame({ content: "word " }));
frames.push(frame({}, "stop"));
frames.push(
  `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 9, completion_tokens: FRAMES, total_tokens: 9 + FRAMES } })}\n\n`,
);
frames.push("data: [DONE]\n\n");
// Enough streams per round for the CPU clock to resolve it: 25 of 2,000 frames, 2,083 of 20.
const PER_ROUND = Math.max(1, Math.round(50_000 / frames.length));
const reads = [];
for (let i = 0; i < frames.length; i += PER_READ) reads.push(Buffer.from(frames.slice(i, i + PER_READ).join("")));
const totalBytes = reads.reduce((n, r) => n + r.length, 0);
// The defaults (config/schema.ts).
const timeouts = { connectMs: 10_000, headersMs: 30_000, firstTokenMs: 60_000, idleMs: 30_000, totalMs: 600_000 };

/** What node's res.write does with a string: encode it to UTF-8. */
function sink() {
  let bytes = 0;
  const take = (data) => {
    if (data !== undefined) bytes += typeof data === "string" ? Buffer.from(data, "utf8").length : data.length;
  };
  return {
    headersSent: true,
    openStream() {},
    send() {},
    write(data) {
      take(data);
      return undefined;
    },
    end(data) {
      take(data);
    },
    get bytes() {
      return bytes;
    },
  };
}

/** The transport's body (transport/upstream-body.ts): the reads pushed to one listener as undici's handler does, pausable. */
function upstreamBody() {
  let listener;
  let next = 0;
  let paused = false;
  const flow = () => {
    while (!paused && next < reads.length) listener.data(reads[next++]);
    if (!paused && next === reads.length) {
      next++;
      listener.end();
    }
  };
  return {
    listen(l) {
      listener = l;
      queueMicrotask(flow);
    },
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      queueMicrotask(flow);
    },
  };
}

function body() {
  const readable = new Readable({ read() {} });
  for (const r of reads) readable.push(r);
  readable.push(null);
  return readable;
}

/** One build's reading + relay path, as a function that relays one stream and returns the bytes written. */
async function gateway(dist) {
  const load = (file) => import(path.join(dist, file));
  const { openUpstream } = await load("engine/upstream-attempt.js");
  const { createOpenAIChatAdapter } = await load("providers/openai/adapter.js");
  const { openaiChatCodec } = await load("apis/openai-chat/codec.js");
  const { relay } = await load("stages/relay.js");
  const { usageOf } = await load("engine/final-usage.js");
  const request = openaiChatCodec.parseRequest({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }], ...(USAGE ? { stream_options: { include_usage: true } } : {}) });
  const adapter = createOpenAIChatAdapter({ baseURL: "http://upstream.test/v1", headers: {}, streamUsageOption: true });
  const transport = {
    async send() {
      return { status: 200, headers: {}, body: upstreamBody(), destroy() {} };
    },
  };
  const provider = { name: "up", type: "openai", adapter, transport };
  return async () => {
    const upstream = await openUpstream(provider, request, "m", timeouts, new AbortController().signal);
    const { stream } = upstream;
    const out = sink();
    const ctx = { upstream, sink: out, codec: openaiChatCodec, request, responseHeaders: {}, services: { config: { server: { heartbeatMs: 15_000 } } } };
    await relay(ctx, () => Promise.resolve());
    stream.dispose();
    const usage = usageOf(request, upstream);
    if (usage.source !== "reported" || usage.outputTokens !== FRAMES) throw new Error(`usage not recorded: ${JSON.stringify(usage)}`);
    return out.bytes;
  };
}

async function bare() {
  const out = sink();
  const readable = body();
  await new Promise((resolve) => {
    readable.on("data", (bytes) => out.write(bytes));
    readable.on("end", resolve);
  });
  return out.bytes;
}

const targets = [{ label: "bare", once: bare }];
for (const dist of DISTS) targets.push({ label: dist, once: await gateway(path.resolve(ROOT, dist)) });
const cpu = new Map(targets.map((t) => [t, 0]));
const written = new Map();
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  // Each round in another order, so that no build always follows the same one.
  const order = round % 2 ? [...targets].reverse() : targets;
  for (const target of order) {
    const start = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) written.set(target, await target.once());
    const used = process.cpuUsage(start);
    if (round >= WARMUP) cpu.set(target, cpu.get(target) + used.user + used.system);
  }
}
console.log(
  `${frames.length} frames (${totalBytes} bytes) in ${reads.length} reads of ${Math.min(PER_READ, frames.length)}, include_usage ${USAGE}, ${ROUNDS} rounds of ${PER_ROUND}, node ${process.version}`,
);
for (const target of targets) {
  const perFrame = cpu.get(target) / (ROUNDS * PER_ROUND) / frames.length;
  console.log(
    `${perFrame.toFixed(3).padStart(7)} µs CPU/frame  ${((perFrame * frames.length) / 1000).toFixed(2).padStart(6)} ms/stream  ${String(written.get(target)).padStart(7)} bytes out  ${target.label}`,
  );
}
