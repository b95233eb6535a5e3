// Top allocating functions of a V8 sampling heap profile (HeapProfiler.stopSampling), per request.
// usage: node heap-profile-top.mjs FILE.heapprofile REQUESTS [TOP=30]
import { readFileSync } from "node:fs";

const [file, requestsStr, topStr = "30"] = process.argv.slice(2);
const { head } = JSON.parse(readFileSync(file, "utf8"));
const requests = Number(requestsStr);
const TOP = Number(topStr);

const short = (url) => {
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) return u.slice(nm + "node_modules/".length);
  const d = u.indexOf("/dist/");
  return d >= 0 ? u.slice(d + 1) : u;
};
const bySite = new Map();
let total = 0;
const walk = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const site = `${functionName || "(anonymous)"}  ${short(url)}${url ? `:${lineNumber + 1}` : ""}`;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) walk(child);
};
walk(head);

const perRequest = (bytes) => `${(bytes / requests).toFixed(0).padStart(7)} B`;
console.log(`allocated ${(total / 1e6).toFixed(1)} MB over ${requests} requests: ${(total / requests / 1024).toFixed(1)} KB per request (sampled, incl. what scavenges collected)\n`);
console.log(`Top ${TOP} allocation sites, bytes per request:`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${perRequest(bytes)}  ${site}`);
