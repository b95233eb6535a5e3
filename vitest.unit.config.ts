import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

// `npm run test:unit`: every test file that needs no PostgreSQL, Redis or Chromium. A file
// needs one when it, or a test-support module it imports (transitively), names one.
const SERVICE = /test-database|ioredis|redis:\/\/|postgres:\/\/|storeKinds|launchBrowser|playwright-core|promtool/;
const SUPPORT = /(^|\/)(test-support|test\/support)\//;
const IMPORT = /from\s+["'](\.{1,2}\/[^"']+)["']/g;

const verdicts = new Map<string, boolean>();

function needsService(file: string): boolean {
  const known = verdicts.get(file);
  if (known !== undefined) return known;
  verdicts.set(file, false); // an import cycle adds nothing
  const text = readFileSync(file, "utf8");
  let needs = SERVICE.test(text);
  for (const [, spec] of text.matchAll(IMPORT)) {
    if (needs) break;
    const target = path.resolve(path.dirname(file), spec!.replace(/\.js$/, ".ts"));
    if (SUPPORT.test(path.relative(process.cwd(), target))) needs = needsService(target);
  }
  verdicts.set(file, needs);
  return needs;
}

const testFiles = ["src", "test"].flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => path.join(dir, f)),
);
const needing = testFiles.filter((file) => needsService(path.resolve(file)));

export default mergeConfig(base, defineConfig({ test: { exclude: ["**/node_modules/**", ...needing] } }));
