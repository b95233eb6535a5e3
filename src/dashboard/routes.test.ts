import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ConfigInput } from "../config/schema.js";
import { createGateway, type Gateway } from "../gateway.js";
import { startGateway, type TestGateway } from "../../test/support/gateway.js";

// The dashboard's files over a real socket: served by the gateway itself (no CDN), only
// when an admin key is configured, with a strict content policy, and under a host app's
// mount prefix in library mode.

const ADMIN = "adm-dashboard-routes-0123456789";
const config = (admin: boolean): ConfigInput => ({
  ...(admin ? { admin: { keys: [ADMIN] } } : {}),
  providers: { sim: { type: "simulator", ttftMs: 0 } },
  models: { fast: { targets: [{ provider: "sim", model: "sim-1" }] } },
});

let gw: TestGateway;
let closed: TestGateway;
let library: Gateway;
let host: Server;
let hostUrl: string;

beforeAll(async () => {
  gw = await startGateway(config(true));
  closed = await startGateway(config(false));
  // A host app mounting the handler under /llm, stripping the prefix as Express's app.use does.
  library = createGateway({ config: { database: { url: "sqlite::memory:" }, ...config(true) }, env: {} });
  await library.ready;
  host = createServer((req, res) => {
    if (!req.url?.startsWith("/llm/")) {
      res.writeHead(404).end("host 404");
      return;
    }
    req.url = req.url.slice("/llm".length);
    library.handler(req, res);
  });
  await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
  hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await gw?.close();
  await closed?.close();
  await new Promise((resolve) => host?.close(resolve));
  await library?.close();
});

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString("utf8") };
}

/** A raw request line, so that "..", "%2e%2e" and friends reach the server unnormalised. */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: "GET" }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Every file the page loads, following module imports from app.js. */
async function crawl(base: string): Promise<Map<string, Awaited<ReturnType<typeof get>>>> {
  const seen = new Map<string, Awaited<ReturnType<typeof get>>>();
  const index = await get(`${base}/`);
  const queue = [...index.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, `${base}/`).toString());
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    const file = await get(url);
    seen.set(url, file);
    if (url.endsWith(".js") && !url.includes("/vendor/")) {
      for (const m of file.text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) queue.push(new URL(m[1]!, url).toString());
    }
  }
  return seen;
}

describe("the dashboard's files", () => {
  test("/dashboard redirects to dashboard/ (relative, so a mount prefix is kept) and serves the page with a strict policy", async () => {
    const redirect = await get(`${gw.url}/dashboard`);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe("dashboard/");
    const page = await get(`${gw.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.text).toContain('<script type="module" src="assets/app.js"></script>');
  });

  test("every script and stylesheet the page loads is served by the gateway, none from elsewhere", async () => {
    const files = await crawl(`${gw.url}/dashboard`);
    expect(files.size).toBeGreaterThan(10);
    for (const [url, file] of files) {
      expect(url.startsWith(`${gw.url}/dashboard/`), url).toBe(true);
      expect(file.status, url).toBe(200);
      if (url.endsWith(".js")) expect(file.headers["content-type"], url).toBe("text/javascript; charset=utf-8");
      if (url.endsWith(".css")) expect(file.headers["content-type"], url).toBe("text/css; charset=utf-8");
    }
    const uplot = files.get(`${gw.url}/dashboard/vendor/uplot.js`);
    expect(uplot?.body.equals(readFileSync(createRequire(import.meta.url).resolve("uplot/dist/uPlot.iife.min.js")))).toBe(true);
    // No module reaches for another origin at run time.
    for (const [url, file] of files) if (!url.includes("/vendor/")) expect(file.text, url).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  test("gzip when accepted, and 304 for a matching ETag", async () => {
    const plain = await get(`${gw.url}/dashboard/assets/styles.css`);
    const zipped = await get(`${gw.url}/dashboard/assets/styles.css`, { "accept-encoding": "gzip" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    const again = await get(`${gw.url}/dashboard/assets/styles.css`, { "if-none-match": String(plain.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  test("unknown files, paths out of the folder and other methods are refused", async () => {
    const missing = await get(`${gw.url}/dashboard/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error.code).toBe("not_found");
    for (const path of ["/dashboard/../package.json", "/dashboard/assets/../../package.json", "/dashboard/%2e%2e/package.json", "/dashboard/tsconfig.json", "/dashboard//etc/passwd"]) {
      expect(await rawGet(gw.url, path), path).toBe(404);
    }
    const post = await request(`${gw.url}/dashboard/`, { method: "POST", body: "{}" });
    expect(post.statusCode).toBe(405);
    expect(((await post.body.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  test("without an admin key the dashboard does not exist, like /admin", async () => {
    for (const path of ["/dashboard", "/dashboard/", "/dashboard/assets/app.js", "/admin/summary"]) {
      const res = await get(`${closed.url}${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  test("library mode under a mount prefix: the page, its files and its API resolve under the prefix", async () => {
    const redirect = await get(`${hostUrl}/llm/dashboard`);
    expect(redirect.status).toBe(308);
    const pageUrl = new URL(String(redirect.headers.location), `${hostUrl}/llm/dashboard`).toString();
    expect(pageUrl).toBe(`${hostUrl}/llm/dashboard/`);
    const files = await crawl(`${hostUrl}/llm/dashboard`);
    for (const [url, file] of files) expect(file.status, url).toBe(200);
    // The page calls "../admin/..." relative to itself.
    const summary = await get(new URL("../admin/summary", pageUrl).toString(), { authorization: `Bearer ${ADMIN}` });
    expect(summary.status).toBe(200);
    expect(JSON.parse(summary.text).object).toBe("summary");
  });
});
