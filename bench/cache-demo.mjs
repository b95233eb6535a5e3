#!/usr/bin/env node
// The response cache's demo run (docs/caching.md): a gateway in this process with the
// simulator as its chat upstream and a bag-of-words embedder on a local socket as its
// embedding upstream; two teams ask questions from one FAQ (popular ones more often, a
// third of them reworded); the ledger (via /admin/usage) says what was spent and saved.
//
//   npm run build && node bench/cache-demo.mjs [--requests 400] [--seed 7]
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createGateway, listen } from "../dist/index.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "400" }, seed: { type: "string", default: "7" } } });
const REQUESTS = Number(values.requests);
let seed = Number(values.seed);
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

// Each question with a rewording that keeps its words mostly the same (what a bag of words can see).
const FAQ = [
  ["How do I reset my password?", "How can I reset my password?"],
  ["What payment methods do you accept?", "Which payment methods do you accept?"],
  ["How do I cancel my subscription?", "How can I cancel my subscription?"],
  ["Where can I download my invoices?", "Where do I download my invoices?"],
  ["How do I change my email address?", "How can I change my email address?"],
  ["Is there a free trial?", "Is there a free trial available?"],
  ["How do I invite a teammate?", "How can I invite a teammate?"],
  ["What are your support hours?", "What are the support hours?"],
  ["How do I export my data?", "How can I export my data?"],
  ["Can I change my plan later?", "Can I change my plan at a later date?"],
  ["How do I enable two-factor authentication?", "How can I enable two-factor authentication?"],
  ["Why was my card declined?", "Why did my card get declined?"],
  ["How do I delete my account?", "How can I delete my account?"],
  ["Do you offer discounts for nonprofits?", "Do you offer nonprofit discounts?"],
  ["How do I connect the Slack integration?", "How can I connect the Slack integration?"],
  ["What is your refund policy?", "What is the refund policy?"],
  ["How do I update billing details?", "How can I update my billing details?"],
  ["Where is my API key?", "Where do I find my API key?"],
  ["How do I rename a project?", "How can I rename a project?"],
  ["What limits apply to the free plan?", "Which limits apply to the free plan?"],
];
// Zipf-like popularity: question i is asked in proportion to 1 / (i + 1).
const weights = FAQ.map((_, i) => 1 / (i + 1));
const totalWeight = weights.reduce((a, b) => a + b, 0);
function pick() {
  let r = random() * totalWeight;
  for (let i = 0; i < FAQ.length; i++) if ((r -= weights[i]) <= 0) return i;
  return FAQ.length - 1;
}

/** A hashed bag of lower-cased words, unit length: rewordings that share most words point the same way. */
function bagOfWords(text, dimensions = 256) {
  const v = new Array(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9-]+/g) ?? []) {
    let h = 0x811c9dc5;
    for (const c of word) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    v[(h >>> 0) % dimensions] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

const embedder = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const { input, model } = JSON.parse(body);
    const inputs = Array.isArray(input) ? input : [input];
    const tokens = inputs.reduce((n, t) => n + t.split(/\s+/).length, 0);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ object: "list", model, data: inputs.map((t, index) => ({ object: "embedding", index, embedding: bagOfWords(t) })), usage: { prompt_tokens: tokens, total_tokens: tokens } }),
    );
  });
});
await new Promise((resolve) => embedder.listen(0, "127.0.0.1", resolve));

const dir = mkdtempSync(path.join(tmpdir(), "tollgate-cache-demo-"));
const ADMIN = "demo-admin-key-0123456789";
const TEAMS = { "demo-key-team-red-0123456789": "red", "demo-key-team-blue-012345678": "blue" };
const gateway = createGateway({
  config: {
    database: { url: `sqlite:${path.join(dir, "tollgate.db")}` },
    admin: { keys: [ADMIN] },
    cache: { scope: "team" },
    providers: {
      sim: { type: "simulator", ttftMs: 0, tokensPerSecond: 1_000_000, answerTokens: 150 },
      bow: { type: "openai-compatible", baseURL: `http://127.0.0.1:${embedder.address().port}/v1` },
    },
    models: {
      support: { targets: [{ provider: "sim", model: "demo-model" }], cache: { exact: { ttlSeconds: 3600 }, semantic: { embeddingRoute: "embed", threshold: 0.8, ttlSeconds: 3600 } } },
      embed: { targets: [{ provider: "bow", model: "demo-embed" }] },
    },
    // gpt-4o's list prices for the chat model, text-embedding-3-small's for the embedder.
    prices: { "demo-model": { input: 2.5, output: 10 }, "demo-embed": { input: 0.02, output: 0 } },
  },
  // The host application names the team (library mode).
  identify: ({ headers }) => ({ keyId: String(headers["x-demo-key"]), teamId: TEAMS[headers["x-demo-key"]] }),
  env: {},
});
const server = await listen(gateway, { port: 0, host: "127.0.0.1" });

const hits = { miss: 0, bypass: 0, hit: 0, "semantic-hit": 0 };
const keys = Object.keys(TEAMS);
// Which FAQ entries each answer text was generated for (the simulator's answers may coincide): a cached answer served for another entry is a wrong answer.
const answeredFor = new Map();
let wrong = 0;
for (let i = 0; i < REQUESTS; i++) {
  const entry = pick();
  const [question, rewording] = FAQ[entry];
  const content = random() < 1 / 3 ? rewording : question;
  const stream = i % 2 === 0;
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-demo-key": keys[i % keys.length] },
    body: JSON.stringify({
      model: "support",
      temperature: 0,
      stream,
      messages: [
        { role: "system", content: "You are a concise support agent." },
        { role: "user", content },
      ],
    }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`request ${i}: ${res.status}`);
  const cache = res.headers.get("x-tollgate-cache");
  hits[cache]++;
  const answer = stream
    ? text
        .split("\n")
        .filter((l) => l.startsWith("data: {"))
        .map((l) => JSON.parse(l.slice(6)).choices[0]?.delta?.content ?? "")
        .join("")
    : JSON.parse(text).choices[0].message.content;
  if (cache === "miss") answeredFor.set(answer, new Set([...(answeredFor.get(answer) ?? []), entry]));
  else if (!answeredFor.get(answer)?.has(entry)) wrong++;
}
await server.close();

// The ledger, through the admin API of a second gateway on the same database.
const reader = createGateway({ config: { database: { url: `sqlite:${path.join(dir, "tollgate.db")}` }, admin: { keys: [ADMIN] }, providers: {}, models: {} }, env: {} });
const admin = await listen(reader, { port: 0, host: "127.0.0.1" });
const usage = await (await fetch(`${admin.url}/admin/usage?group_by=team`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
await admin.close();
embedder.close();
rmSync(dir, { recursive: true, force: true });

const sum = (f) => usage.totals.reduce((n, t) => n + t[f], 0);
const usd = (nanos) => `$${(nanos / 1e9).toFixed(6)}`;
const cost = sum("cost_nanos");
const saved = sum("saved_nanos");
console.log(`requests: ${REQUESTS} (${hits.miss} misses, ${hits.hit} exact hits, ${hits["semantic-hit"]} semantic hits, ${wrong} answers served for another question)`);
for (const t of usage.totals) console.log(`team ${t.group}: ${t.requests} requests, spent ${t.cost_usd}, saved ${t.saved_usd}`);
console.log(`spent ${usd(cost)}, saved ${usd(saved)}: without the cache ${usd(cost + saved)} (${((100 * saved) / (cost + saved)).toFixed(1)}% saved)`);
