import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchBrowser, type TestBrowser } from "../support/browser.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { readRecording, replay, UPSTREAM_KEY, UPSTREAMS } from "../support/matrix.js";

// Browser pages on other origins (other ports on 127.0.0.1) calling the gateway: one the
// gateway allows (server.cors.origins), one only a virtual key allows (allowed_origins). A
// real Chromium streams a chat through Tollgate with fetch and reads the SSE and Tollgate's
// headers; preflights are answered without a key; other origins are refused before any spend.

const ADMIN = "adm-cors-e2e-0123456789abcdef";
const CLIENT = "tg-static-cors-client-0123456789";
const OPENAI = UPSTREAMS.find((k) => k.id === "openai")!;
const RECORDING = OPENAI.recordings.text.stream!;
const EXPECTED_TEXT = readRecording("chat", RECORDING).text;

let upstream: FakeUpstream;
let gw: TestGateway;
let browser: TestBrowser;
let keyed: string;
const pages: Server[] = [];
let gatewayPage: string;
let keyPage: string;
let strangerPage: string;

/** A page server on its own port: its own origin. */
async function pageServer(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>app</title><p>app</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  pages.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  upstream = await createFakeUpstream();
  [gatewayPage, keyPage, strangerPage] = [await pageServer(), await pageServer(), await pageServer()];
  gw = await startGateway(
    {
      admin: { keys: ["env:ADMIN"] },
      auth: { keys: ["env:CLIENT"] },
      server: { cors: { origins: [gatewayPage] } },
      providers: { openai: OPENAI.provider(upstream) },
      models: { chat: { retry: { maxRetries: 0 }, targets: [{ provider: "openai", model: OPENAI.model }] } },
    },
    { env: { ADMIN, CLIENT, UP_KEY: UPSTREAM_KEY } },
  );
  const res = await fetch(`${gw.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ user_id: "web", allowed_origins: [keyPage] }),
  });
  const created = (await res.json()) as { secret: string; key: { allowed_origins: string[] } };
  expect(created.key.allowed_origins).toEqual([keyPage]);
  keyed = created.secret;
  browser = await launchBrowser(gatewayPage);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await upstream?.close();
  await Promise.all(pages.map((s) => new Promise((resolve) => s.close(resolve))));
});

interface PageResult {
  ok: boolean;
  status?: number;
  text?: string;
  frames?: number;
  target?: string | null;
  requestId?: string | null;
  error?: string;
}

/** In the page: a streamed chat with fetch, its SSE read frame by frame, and Tollgate's headers. */
async function streamFromPage(origin: string, key: string): Promise<PageResult> {
  await browser.page.goto(origin);
  return browser.page.evaluate(
    async ({ url, key }) => {
      try {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "Hello from the browser" }] }),
        });
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        let text = "";
        let frames = 0;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame.startsWith("data: ") ? frame.slice(6) : "";
            if (data === "" || data === "[DONE]") continue;
            frames++;
            text += (JSON.parse(data) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? "";
          }
        }
        return { ok: true, status: res.status, text, frames, target: res.headers.get("x-tollgate-target"), requestId: res.headers.get("x-request-id") };
      } catch (err) {
        return { ok: false, error: String(err) };
      }
    },
    { url: gw.url, key },
  );
}

describe("CORS in a real browser", () => {
  test("a page on an origin the gateway allows streams a chat and reads Tollgate's headers", async () => {
    upstream.enqueue(replay("chat", RECORDING));
    const result = await streamFromPage(gatewayPage, CLIENT);
    expect(result).toMatchObject({ ok: true, status: 200, text: EXPECTED_TEXT, target: `openai/${OPENAI.model}` });
    // Read as a stream: frame by frame, as the recording's chunks came.
    expect(result.frames).toBeGreaterThan(1);
    const record = await gw.recordOf(result.requestId ?? undefined);
    expect(record).toMatchObject({ outcome: "complete", stream: true, route: "chat" });
  });

  test("a page on an origin only a key allows works with that key", async () => {
    upstream.enqueue(replay("chat", RECORDING));
    const result = await streamFromPage(keyPage, keyed);
    expect(result).toMatchObject({ ok: true, status: 200, text: EXPECTED_TEXT });
  });

  test("that origin with another key, and an origin nobody allows, cannot call: nothing reaches the upstream", async () => {
    const before = upstream.requests.length;
    expect(await streamFromPage(keyPage, CLIENT)).toMatchObject({ ok: false });
    expect(await streamFromPage(strangerPage, CLIENT)).toMatchObject({ ok: false });
    expect(upstream.requests.length).toBe(before);
    // The key's origin passed the preflight (a key lists it), so the request came and was refused.
    const refused = gw.records.at(-1)!;
    expect(refused).toMatchObject({ status: 403, errorCode: "origin_not_allowed" });
  });
});

describe("CORS over HTTP", () => {
  test("a preflight is answered without a key, for the gateway's origins and the keys' origins only", async () => {
    const ask = (origin: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-stainless-os" },
      });
    const allowed = await ask(gatewayPage);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(gatewayPage);
    expect(allowed.headers.get("access-control-allow-headers")).toBe("authorization, content-type, x-stainless-os");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect((await ask(keyPage)).headers.get("access-control-allow-origin")).toBe(keyPage);
    const stranger = await ask(strangerPage);
    expect(stranger.status).toBe(204);
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("answers, errors included, carry the origin and expose Tollgate's headers", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { origin: gatewayPage, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe(gatewayPage);
    expect(res.headers.get("vary")).toBe("Origin");
    const exposed = res.headers.get("access-control-expose-headers")!.split(", ");
    expect(exposed).toEqual(expect.arrayContaining(["x-request-id", "x-tollgate-target", "x-tollgate-attempts", "x-tollgate-dropped", "retry-after"]));
  });

  test("allowed_origins is validated and can be cleared through the admin API", async () => {
    const admin = (method: string, path: string, body: unknown) =>
      fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const bad = await admin("POST", "/admin/keys", { user_id: "web", allowed_origins: ["https://app.example.com/path"] });
    expect(bad.status).toBe(400);
    const { key } = (await (await admin("POST", "/admin/keys", { user_id: "web", allowed_origins: ["https://app.example.com"] })).json()) as { key: { id: string } };
    const cleared = (await (await admin("PATCH", `/admin/keys/${key.id}`, { allowed_origins: null })).json()) as { allowed_origins: unknown };
    expect(cleared.allowed_origins).toBeNull();
  });
});
