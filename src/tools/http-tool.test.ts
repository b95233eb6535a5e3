import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpToolSchema } from "../config/tools-schema.js";
import { HttpTool } from "./http-tool.js";
import { ToolFailure, type ToolContext } from "./tool.js";
import { expandUrl } from "./url-template.js";

// HTTP tools against a real server on 127.0.0.1: what is sent, and each failure the
// model gets as a tool error instead of a result.

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let origin: string;
const seen: Seen[] = [];
const hang = new Set<() => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(parts).toString("utf8") });
      if (req.url === "/hang") return void hang.add(() => res.destroy());
      if (req.url === "/redirect") return void res.writeHead(302, { location: "http://169.254.169.254/" }).end();
      if (req.url === "/big") return void res.end("x".repeat(5_000));
      if (req.url === "/fail") return void res.writeHead(503).end("down for maintenance");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const end of hang) end();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function tool(path: string, extra: Record<string, unknown> = {}): HttpTool {
  const parsed = httpToolSchema.parse({ type: "http", description: "test", url: `${origin}${path}`, allowPrivateNetwork: true, ...extra });
  return new HttpTool({ ...parsed, name: "t", headers: (extra.headers as Record<string, string> | undefined) ?? {} });
}

const ctx = (): ToolContext => ({ idempotencyKey: "tgt_key", requestId: "req_1", signal: new AbortController().signal });

async function failure(promise: Promise<unknown>): Promise<ToolFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolFailure);
  return err as ToolFailure;
}

describe("HttpTool", () => {
  it("fills the URL with percent-encoded arguments, sends its headers, the idempotency key and the arguments as JSON", async () => {
    seen.length = 0;
    const t = tool("/orders/{id}?view={view}", { method: "POST", headers: { authorization: "Bearer secret-token-123" } });
    expect(await t.run({ id: "a/b?c#d", view: "full summary" }, ctx())).toBe('{"ok":true}');
    expect(seen[0]).toMatchObject({ method: "POST", path: "/orders/a%2Fb%3Fc%23d?view=full%20summary", body: '{"id":"a/b?c#d","view":"full summary"}' });
    expect(seen[0]!.headers).toMatchObject({ authorization: "Bearer secret-token-123", "idempotency-key": "tgt_key", "content-type": "application/json" });
  });

  it("fills a body template with typed argument values", async () => {
    seen.length = 0;
    await tool("/charge", { method: "POST", body: { order: "{id}", amount: "{cents}", note: "from the assistant" } }).run({ id: "A-1", cents: 250 }, ctx());
    expect(JSON.parse(seen[0]!.body)).toEqual({ order: "A-1", amount: 250, note: "from the assistant" });
  });

  it("reports a timeout, an error status, a response over the cap and a redirect as tool failures", async () => {
    expect((await failure(tool("/hang", {}).run({}, ctx()))).code).toBe("tool_timeout");
    const failed = await failure(tool("/fail").run({}, ctx()));
    expect([failed.code, failed.message]).toEqual(["tool_http_error", "The tool answered 503: down for maintenance"]);
    expect((await failure(tool("/big", { maxResponseBytes: 1_000 }).run({}, ctx()))).code).toBe("tool_response_too_large");
    expect((await failure(tool("/redirect").run({}, ctx()))).code).toBe("tool_redirect_refused");
  });

  it("refuses a private address without allowPrivateNetwork, before any request", async () => {
    seen.length = 0;
    const guarded = new HttpTool({ ...httpToolSchema.parse({ type: "http", description: "d", url: `${origin}/x` }), name: "g", headers: {} });
    expect((await failure(guarded.run({}, ctx()))).code).toBe("tool_address_blocked");
    expect(seen).toEqual([]);
  });
});

describe("expandUrl", () => {
  const base = "http://svc.example/orders/{id}";
  it("keeps every value inside its path segment", () => {
    expect(expandUrl(base, { id: "../admin" }, "http://svc.example").pathname).toBe("/orders/..%2Fadmin");
    expect(expandUrl(base, { id: "@evil.example" }, "http://svc.example").href).toBe("http://svc.example/orders/%40evil.example");
  });

  it.each([".", ".."])("refuses the dot segment %j", (id) => {
    expect(() => expandUrl(base, { id }, "http://svc.example")).toThrow(ToolFailure);
  });

  it("refuses objects and missing arguments", () => {
    expect(() => expandUrl(base, { id: { a: 1 } }, "http://svc.example")).toThrow(/must be a string, number or boolean/);
    expect(() => expandUrl(base, {}, "http://svc.example")).toThrow(/is required/);
  });
});
