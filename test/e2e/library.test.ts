import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createGateway, type Gateway, type RequestRecord } from "../../src/index.js";
import { createFakeUpstream, waitFor, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, loadChunks } from "../support/fixtures.js";
import { postSse } from "../support/sse-client.js";

// Tollgate as a library: the gateway's handler mounted at /llm inside a host's own
// node:http server, next to the host's routes, with the host deciding who the caller is.

const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
const ask = { model: "fast", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hello" }] };

let upstream: FakeUpstream;
let gateway: Gateway;
const records: RequestRecord[] = [];
const hosts: Server[] = [];

interface Host {
  url: string;
  /** How many times the gateway handed a request back to the host through `next`. */
  nextCalls: () => number;
}

/** Reads a JSON body the way express.json() does, before any route sees the request. */
async function parseJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString("utf8"));
}

/**
 * A host application: its own /app/hello route, the gateway under /llm (the prefix
 * stripped from req.url, as Express's app.use("/llm", ...) does), and its own 404 for
 * whatever neither serves. `preParse` reads JSON bodies up front into req.body.
 */
async function startHost(options: { preParse?: boolean } = {}): Promise<Host> {
  let nextCalls = 0;
  const notFound = (res: ServerResponse) => {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("host: no such page");
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? "/";
      if (url === "/app/hello") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ hello: "from the host" }));
        return;
      }
      if (!url.startsWith("/llm/")) return notFound(res);
      req.url = url.slice("/llm".length);
      if (options.preParse && req.method === "POST") (req as IncomingMessage & { body?: unknown }).body = await parseJson(req);
      gateway.handler(req, res, (err) => {
        nextCalls++;
        if (err) {
          res.writeHead(500);
          res.end();
        } else notFound(res);
      });
    })();
  });
  hosts.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, nextCalls: () => nextCalls };
}

/** The record of the request whose response carried this x-request-id, once the gateway has written it. */
async function recordOf(id: string | string[] | undefined): Promise<RequestRecord> {
  await waitFor(() => records.some((r) => r.id === id), { message: `record of ${String(id)}` });
  return records.find((r) => r.id === id)!;
}

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gateway = createGateway({
    config: { providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "env:LIB_UPSTREAM_KEY" } }, models: { fast: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } } },
    env: { LIB_UPSTREAM_KEY: "sk-library-upstream-key" },
    identify: (req) => {
      const user = req.headers["x-user"];
      return typeof user === "string" && user !== "" ? { keyId: "host-app", userId: user } : null;
    },
    onRecord: (record) => records.push(record),
  });
});
afterEach(() => {
  expect(upstream.pending(), "every queued upstream script was used").toBe(0);
  upstream.requests.length = 0;
});
afterAll(async () => {
  await Promise.all(
    hosts.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
  await gateway?.close();
  await upstream?.close();
});

describe("mounted in a host's node:http server", () => {
  let host: Host;
  beforeAll(async () => {
    host = await startHost();
  });

  test("the host's own routes and its 404 keep working around the gateway", async () => {
    const hello = await request(`${host.url}/app/hello`);
    expect(hello.statusCode).toBe(200);
    expect(await hello.body.json()).toEqual({ hello: "from the host" });

    const outside = await request(`${host.url}/elsewhere`);
    expect(outside.statusCode).toBe(404);
    expect(await outside.body.text()).toBe("host: no such page");

    // Under the mount point but not a gateway path: handed back through next().
    const before = host.nextCalls();
    const unknown = await request(`${host.url}/llm/v1/unknown`);
    expect(unknown.statusCode).toBe(404);
    expect(await unknown.body.text()).toBe("host: no such page");
    expect(host.nextCalls()).toBe(before + 1);
    // A preflight too: the gateway answers OPTIONS only on its own paths.
    const hostPreflight = await request(`${host.url}/llm/v1/unknown`, { method: "OPTIONS" });
    expect(hostPreflight.statusCode).toBe(404);
    await hostPreflight.body.dump();
    expect(host.nextCalls()).toBe(before + 2);
    const ownPreflight = await request(`${host.url}/llm/v1/chat/completions`, { method: "OPTIONS" });
    expect(ownPreflight.statusCode).toBe(204);
    await ownPreflight.body.dump();

    const models = await request(`${host.url}/llm/v1/models`);
    expect(models.statusCode).toBe(200);
    expect(await models.body.json()).toMatchObject({ object: "list", data: [{ id: "fast" }] });
  });

  test("a caller the host identifies is served, and its record names the user", async () => {
    upstream.enqueue({ kind: "sse", chunks: [chatSseBytes(payloads)] });
    const res = await postSse(`${host.url}/llm/v1/chat/completions`, ask, { "x-user": "alice" });
    expect(res.status).toBe(200);
    expect(res.payloads).toEqual([...payloads, "[DONE]"]);
    expect(upstream.requests[0]!.headers.authorization).toBe("Bearer sk-library-upstream-key");
    const record = await recordOf(res.headers["x-request-id"]);
    expect(record).toMatchObject({ route: "fast", outcome: "complete", status: 200, identity: { keyId: "host-app", userId: "alice" } });
    expect(record.usage).toMatchObject({ inputTokens: 16, outputTokens: 300, source: "reported" });
  });

  test("a caller the host does not identify gets 401 and the upstream is never called", async () => {
    const res = await postSse(`${host.url}/llm/v1/chat/completions`, ask);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({ error: { type: "authentication_error" } });
    expect(upstream.requests).toHaveLength(0);
    const record = await recordOf(res.headers["x-request-id"]);
    expect(record.status).toBe(401);
    expect(record.identity).toBeUndefined();
  });
});

test("a host that already parsed the JSON body (req.body) is served from it", async () => {
  const host = await startHost({ preParse: true });
  upstream.enqueue({ kind: "sse", chunks: [chatSseBytes(payloads)] });
  const res = await postSse(`${host.url}/llm/v1/chat/completions`, ask, { "x-user": "bob" });
  expect(res.status).toBe(200);
  expect(res.payloads).toEqual([...payloads, "[DONE]"]);
  expect(upstream.requests[0]!.body).toMatchObject({ model: "gpt-4.1-nano", messages: [{ role: "user", content: "hello" }] });
  expect((await recordOf(res.headers["x-request-id"])).identity).toMatchObject({ userId: "bob" });
});
