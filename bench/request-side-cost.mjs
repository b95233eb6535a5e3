#!/usr/bin/env node
// The request side's CPU per non-stream Chat Completions request, measured directly on the built
// code (~20 s): what the stages before dispatch do with the load bench's body (a fixed system
// prompt, a user message with a new number in each request): JSON.parse of the body, the depth
// check, parseChatRequest, the response-schema extension check, the prompt's token count,
// the worst case for the budget reservation (inputTokenBound), the journal's begin bound, and
// the request's log line (requestLogFields) and its metrics (GatewayMetrics.observe). Each part is timed alone and all of them together.
// DIST (comma-separated built trees, default dist/) compares builds in one process, their runs
// alternated ROUNDS times (default 7): medians of the main thread's CPU time per request, and the
// per-round ratio of each build to the first. N requests a run (default 20000).
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DISTS = (process.env.DIST ?? "dist").split(",");
const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const SYSTEM = "You are a concise assistant for backend engineers.";
let n = 0;
/** The load bench's body text (bench/run.mjs MESSAGES), a new number each time as post.lua makes it. */
const bodyText = () =>
  JSON.stringify({
    model: "m",
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: `Summarise the trade-offs between retries and fallbacks in an LLM gateway, in two sentences. (request ${++n})` },
    ],
  });

async function load(dist) {
  const base = path.resolve(ROOT, dist);
  const m = async (p) => import(path.join(base, p));
  const { openaiChatCodec } = await m("apis/openai-chat/codec.js");
  const { checkJsonDepth } = await m("json/json-depth.js");
  const { withResponseSchema } = await m("structured/response-schema.js");
  const { worstCase } = await m("budgets/worst-case.js");
  const { inputTokenBound, billingTarget } = await m("usage/input-bound.js");
  const { PriceTable } = await m("pricing/price-table.js");
  const { requestLogFields } = await m("observability/request-log.js");
  const { factsOf } = await m("observability/record-facts.js");
  const { GatewayMetrics } = await m("observability/metrics.js");
  const { resolveConfig } = await m("config/resolve.js");
  const { BreakerRegistry } = await m("engine/breaker-registry.js");
  const config = resolveConfig(
    {
      observability: { metrics: { enabled: true } },
      prices: { "mock-model": { input: 0.15, output: 0.6 } },
      providers: { mock: { type: "openai", baseURL: "http://127.0.0.1:19000/v1" } },
      models: { m: { targets: [{ provider: "mock", model: "mock-model" }] } },
    },
    {},
  );
  const metrics = new GatewayMetrics(config, new BreakerRegistry());
  const prices = new PriceTable({ "mock-model": { input: 0.15, output: 0.6 } });
  const providers = { mock: { type: "openai" } };
  const targets = [{ provider: "mock", model: "mock-model" }];
  const redact = (t) => t;
  const parse = (text) => {
    const body = JSON.parse(text);
    checkJsonDepth(body);
    return withResponseSchema(openaiChatCodec.parseRequest(body));
  };
  const budget = (request) => worstCase({ prices, providers, at: Date.now(), defaultMaxOutputTokens: 4096 }, request, targets);
  const begin = (request) => inputTokenBound(request, billingTarget("openai", "mock-model"));
  const record = (i) => {
    const startedAt = Date.now();
    const usage = { inputTokens: 30, outputTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
    return {
      id: `req_${i}`,
      api: "openai-chat",
      startedAt,
      route: "m",
      identity: { keyId: "key_5f0c1a2b3c4d5e6f", userId: "bob", tags: { env: "prod" } },
      stream: false,
      status: 200,
      outcome: "complete",
      attempts: [{ attempt: 1, provider: "mock", model: "mock-model", startedAt, durationMs: 2.1, status: "ok", usage, costNanos: 11700 }],
      usage,
      costNanos: 11700,
      latencyMs: 2.4,
    };
  };
  const log = (request, i) => {
    const r = record(i);
    return requestLogFields(r, { request, route: { name: "m" } }, factsOf(r, undefined), redact);
  };
  const observe = (request, i) => {
    const r = record(i);
    metrics.observe(r, { request }, factsOf(r, undefined));
  };
  return { label: dist, parse, budget, begin, log, observe };
}

const builds = [];
for (const dist of DISTS) builds.push(await load(dist));

/** Each part alone, on requests parsed beforehand (fresh ones: per-request memos start empty), and the whole request side. */
const PARTS = {
  parse: (b, texts) => {
    const t = process.cpuUsage();
    for (const text of texts) b.parse(text);
    return t;
  },
  budget: (b, texts) => {
    const requests = texts.map(b.parse);
    const t = process.cpuUsage();
    for (const r of requests) b.budget(r);
    return t;
  },
  log: (b, texts) => {
    const requests = texts.map(b.parse);
    const t = process.cpuUsage();
    for (let i = 0; i < requests.length; i++) b.log(requests[i], i);
    return t;
  },
  metrics: (b, texts) => {
    const requests = texts.map(b.parse);
    const t = process.cpuUsage();
    for (let i = 0; i < requests.length; i++) b.observe(requests[i], i);
    return t;
  },
  all: (b, texts) => {
    const t = process.cpuUsage();
    for (let i = 0; i < texts.length; i++) {
      const r = b.parse(texts[i]);
      b.budget(r);
      b.begin(r);
      b.log(r, i);
      b.observe(r, i);
    }
    return t;
  },
};

const results = {};
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [part, run] of Object.entries(PARTS)) {
    for (const b of builds) {
      const texts = Array.from({ length: N }, bodyText);
      const start = run(b, texts);
      const used = process.cpuUsage(start);
      // Round 0 warms every build's code and memos up; it is not counted.
      if (round === 0) continue;
      ((results[part] ??= {})[b.label] ??= []).push((used.user + used.system) / N);
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`µs of CPU per request (median of ${ROUNDS} rounds, ${N} requests each)`);
for (const [part, byBuild] of Object.entries(results)) {
  const first = byBuild[builds[0].label];
  const cells = builds.map((b) => {
    const xs = byBuild[b.label];
    if (b === builds[0]) return `${b.label} ${median(xs).toFixed(2)}`;
    const ratios = xs.map((x, i) => x / first[i]).sort((p, q) => p - q);
    return `${b.label} ${median(xs).toFixed(2)} (×${median(ratios).toFixed(2)}, rounds ${ratios[0].toFixed(2)}–${ratios.at(-1).toFixed(2)})`;
  });
  console.log(`${part.padEnd(7)} ${cells.join("   ")}`);
}
