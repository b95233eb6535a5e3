// Top self-time functions (and files/packages) of a V8 .cpuprofile (node --cpu-prof).
// usage: node cpu-profile-top.mjs FILE.cpuprofile [TOP=30]
import { readFileSync } from "node:fs";

const [file, topStr = "30"] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, "utf8"));
const TOP = Number(topStr);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url) => {
  if (!url) return "";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) return u.slice(nm + "node_modules/".length);
  const d = u.indexOf("/dist/");
  if (d >= 0) return u.slice(d + 1);
  return u;
};
const group = (url) => {
  const s = short(url);
  if (!s) return "(native / V8)";
  if (s.startsWith("node:")) return s.split("/").slice(0, 2).join("/");
  if (url.includes("node_modules/"))
    return s
      .split("/")
      .slice(0, s.startsWith("@") ? 2 : 1)
      .join("/");
  return s;
};

const fn = new Map(),
  files = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const name = cf.functionName || "(anonymous)";
  const key = cf.url ? `${name}  ${short(cf.url)}:${cf.lineNumber + 1}` : name;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const g = ["(garbage collector)", "(idle)", "(program)", "(root)"].includes(name) ? name : group(cf.url);
  files.set(g, (files.get(g) ?? 0) + us);
}
const idle = fn.get("(idle)") ?? 0;
const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
console.log(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled (idle excluded from the percentages)\n`);
console.log(`Top ${TOP} functions by self time:`);
for (const [k, us] of [...fn]
  .filter(([k]) => k !== "(idle)")
  .sort((a, b) => b[1] - a[1])
  .slice(0, TOP))
  console.log(`${ms(us)} ${pct(us)}  ${k}`);
console.log(`\nSelf time by file / package:`);
for (const [k, us] of [...files]
  .filter(([k]) => k !== "(idle)")
  .sort((a, b) => b[1] - a[1])
  .slice(0, 25))
  console.log(`${ms(us)} ${pct(us)}  ${k}`);
