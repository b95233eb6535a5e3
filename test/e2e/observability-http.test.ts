import { request } from "undici";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { waitFor } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { parsePrometheusText } from "../support/prometheus-text.js";

// Every request leaves one log line and one metric sample, including those no route serves:
// unknown paths, wrong methods, missing keys, unreadable bodies, the admin API, preflights.

const CLIENT = "tg-http-obs-client-key-0123456789";
const ADMIN = "adm-http-obs-0123456789abcdef";
const lines: Record<string, unknown>[] = [];
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT"] },
      admin: { keys: ["env:ADMIN"] },
      providers: { sim: { type: "simulator", ttftMs: 0 } },
      models: { sim: { targets: [{ provider: "sim", model: "sim-1" }] } },
    },
    { env: { CLIENT, ADMIN }, logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) },
  );
});
afterAll(async () => {
  await gw?.close();
});

test("one line and one sample per request, whatever answered it; a ?key= never reaches a line", async () => {
  const json = { "content-type": "application/json" };
  const calls: Array<[string, RequestInit, number]> = [
    ["/nowhere", {}, 404],
    ["/v1/chat/completions", { method: "DELETE" }, 405],
    ["/v1/chat/completions", { method: "POST", headers: json, body: "{}" }, 401],
    ["/v1/chat/completions", { method: "POST", headers: { ...json, authorization: `Bearer ${CLIENT}` }, body: "{not json" }, 400],
    ["/admin/keys", {}, 401],
    ["/v1/models", { method: "OPTIONS" }, 204],
    [`/v1beta/models/sim:generateContent?key=${CLIENT}`, { method: "GET" }, 405],
    ["/healthz", {}, 200],
  ];
  const before = lines.length;
  for (const [path, init, status] of calls) expect((await fetch(`${gw.url}${path}`, init)).status, path).toBe(status);
  await waitFor(() => lines.length - before >= calls.length);
  const written = lines.slice(before).filter((l) => l.msg === "request");
  expect(written).toHaveLength(calls.length);
  // The 401 and the unreadable body ran through the pipeline (it reads the body once the key
  // is checked): theirs are request lines; the others are the transport's.
  expect(written.filter((l) => l.component !== "http")).toMatchObject([
    { status: 401, error_code: "missing_api_key", api: "openai-chat" },
    { status: 400, error_code: "invalid_json", api: "openai-chat" },
  ]);
  expect(written.filter((l) => l.component === "http").map((l) => [l.handler, l.method, l.path, l.status])).toEqual([
    ["unmatched", "GET", "/nowhere", 404],
    ["api", "DELETE", "/v1/chat/completions", 405],
    ["admin", "GET", "/admin/keys", 401],
    ["preflight", "OPTIONS", "/v1/models", 204],
    ["gemini", "GET", "/v1beta/models/sim:generateContent", 405],
    ["health", "GET", "/healthz", 200],
  ]);
  expect(JSON.stringify(lines)).not.toContain(CLIENT);

  const samples = parsePrometheusText(await gw.gateway.metrics()).samples.filter((s) => s.name === "tollgate_http_requests_total");
  const count = (handler: string, method: string, status: number) => samples.find((s) => s.labels.handler === handler && s.labels.method === method && s.labels.status === String(status))?.value;
  expect(count("unmatched", "GET", 404)).toBe(1);
  expect(count("api", "DELETE", 405)).toBe(1);
  expect(count("api", "POST", 401)).toBe(1);
  expect(count("api", "POST", 400)).toBe(1);
  expect(count("admin", "GET", 401)).toBe(1);
  expect(count("preflight", "OPTIONS", 204)).toBe(1);
  expect(count("gemini", "GET", 405)).toBe(1);
  expect(count("health", "GET", 200)).toBe(1);
});

test("a method outside HTTP's own list is one label, not the client's text", async () => {
  const res = await request(`${gw.url}/nowhere`, { method: "PURGE" });
  await res.body.dump();
  await waitFor(async () => parsePrometheusText(await gw.gateway.metrics()).samples.some((s) => s.name === "tollgate_http_requests_total" && s.labels.method === "other"));
});
