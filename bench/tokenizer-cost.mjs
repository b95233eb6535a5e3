#!/usr/bin/env node
// Token counting's cost per request, measured directly (npm run bench:tokenizer, ~20 s): the
// first count of a request's messages (countMessageTokens, as the budget reservation and the
// journal's begin line make it; later counts of the same texts hit the memo by text) on the
// built code, for three shapes:
//   short    the load bench's: a fixed system prompt and a new ~100-character user message
//   2k       the same with a new ~2 KB user message
//   history  an agent's ~50 KB history: every message of the last request again, one new one
// New messages are sentences of this repo's docs in a fresh order, so their words are real and
// mostly seen before, as a user's are; no two requests have the same text.
// DIST (comma-separated built trees, default dist/) compares builds in one process, their runs
// alternated ROUNDS times (default 7); medians and the spread of the main thread's CPU time (less
// skewed than wall time by other processes on the machine). N requests a run (default 4000).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DISTS = (process.env.DIST ?? "dist").split(",");
const N = Number(process.env.N ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const builds = [];
for (const dist of DISTS) builds.push({ label: dist, ...(await import(path.join(path.resolve(ROOT, dist), "usage/tokenizer.js"))) });

const docs = fs
  .readdirSync(path.join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => fs.readFileSync(path.join(ROOT, "docs", f), "utf8"))
  .join("\n");
const sentences = docs
  .split(/(?<=[.!?])\s+|\n+/)
  .map((s) => s.trim())
  // No special token's spelling: builds before 08079b3 threw on one.
  .filter((s) => s.length >= 20 && !s.startsWith("|") && !s.startsWith("```") && !s.includes("<|"));

// A small fixed-seed PRNG, so every run draws the same texts.
let seed = 0x2545f491;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
let serial = 0;
/** A text of about `chars` characters no request has sent before. */
function novel(chars) {
  let text = `(${++serial})`;
  while (text.length < chars) text += ` ${sentences[Math.floor(random() * sentences.length)]}`;
  return text.slice(0, chars);
}

const SYSTEM = { role: "system", content: "You are a concise assistant for backend engineers." };
const shapes = {
  short: () => [SYSTEM, { role: "user", content: novel(100) }],
  "2k": () => [SYSTEM, { role: "user", content: novel(2048) }],
  history: (() => {
    let history = [SYSTEM];
    return () => {
      if (history.length > 40) history = [SYSTEM];
      history = [...history, { role: history.length % 2 ? "user" : "assistant", content: novel(1250) }];
      return history;
    };
  })(),
};

function run(build, shape) {
  // Parsed afresh, as the gateway parses each body: a repeated text is a new string every time.
  const requests = Array.from({ length: N }, () => JSON.parse(JSON.stringify(shapes[shape]())));
  const start = process.threadCpuUsage();
  let tokens = 0;
  for (const messages of requests) tokens += build.countMessageTokens(messages);
  const cpu = process.threadCpuUsage(start);
  return { us: (cpu.user + cpu.system) / N, tokens: tokens / N };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`token counting, ${N} requests a run, ${ROUNDS} rounds, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}:`);
for (const shape of Object.keys(shapes)) {
  for (const build of builds) run(build, shape); // warm the JIT and the memos
  const times = builds.map(() => []);
  let tokens = 0;
  for (let r = 0; r < ROUNDS; r++)
    builds.forEach((build, b) => {
      const result = run(build, shape);
      times[b].push(result.us);
      tokens = result.tokens;
    });
  builds.forEach((build, b) => {
    const t = times[b];
    console.log(
      `  ${shape.padEnd(8)} ${build.label.padEnd(28)} ${median(t).toFixed(2).padStart(8)} µs/request (${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)}), ~${Math.round(tokens)} tokens`,
    );
  });
}
