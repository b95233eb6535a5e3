import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** One file the dashboard serves, read once and kept (the whole UI is about 100 KB). */
export interface StaticFile {
  body: Buffer;
  /** The body gzipped, for clients that accept it. */
  gzip: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The UI's own files: `web/` at the package root (two levels up from src/dashboard and dist/dashboard). */
const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));

function load(path: string): StaticFile {
  const body = readFileSync(path);
  return {
    body,
    gzip: gzipSync(body),
    contentType: TYPES[extname(path)] ?? "application/octet-stream",
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : entry.isFile() && TYPES[extname(entry.name)] ? [path] : [];
  });
}

/**
 * Every file the dashboard can serve, by its path under /dashboard/. The table is built
 * from a listing of `web/` and uPlot's dist (resolved from node_modules, no CDN), so a
 * request path is only ever a lookup key, never joined onto the filesystem.
 */
export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const path of listFiles(WEB_ROOT)) files.set(relative(WEB_ROOT, path).split(sep).join("/"), load(path));
  const require = createRequire(import.meta.url);
  files.set("vendor/uplot.js", load(require.resolve("uplot/dist/uPlot.iife.min.js")));
  files.set("vendor/uplot.css", load(require.resolve("uplot/dist/uPlot.min.css")));
  return files;
}
