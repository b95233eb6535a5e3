import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyTransportError, HttpTransport, type TransportOptions } from "./http-transport.js";
import { readBytes, type BodyListener } from "./upstream-body.js";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let handle: Handler;
let transport: HttpTransport;

beforeEach(async () => {
  transport = new HttpTransport();
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await transport.close();
  await new Promise((resolve) => server.close(resolve));
});

function url(): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat?x=1`;
}

function options(signal = new AbortController().signal, headersTimeoutMs = 0): TransportOptions {
  return { signal, connectTimeoutMs: 1_000, headersTimeoutMs };
}

const spec = () => ({ url: url(), headers: { "content-type": "application/json" }, body: '{"a":1}' });

/** Records what a body delivers; `done` settles at its end (resolves) or error (rejects). */
function recorder(onData?: (bytes: Uint8Array) => void) {
  const chunks: Buffer[] = [];
  let listener!: BodyListener;
  const done = new Promise<void>((resolve, reject) => {
    listener = {
      data: (bytes) => {
        chunks.push(Buffer.from(bytes));
        onData?.(bytes);
      },
      end: resolve,
      error: reject,
    };
  });
  return { chunks, listener, done, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** The server side of one response, closed before it finished. */
function closedEarly(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => res.on("close", () => !res.writableFinished && resolve()));
}

describe("HttpTransport", () => {
  it("sends the request and gives the status, the headers and the body's chunks", async () => {
    let seen: { method?: string; url?: string; type?: string } = {};
    handle = (req, res) => {
      seen = { method: req.method, url: req.url, type: req.headers["content-type"] };
      res.writeHead(201, { "x-upstream": "yes" });
      res.write("first ");
      setImmediate(() => res.end("second"));
    };
    const response = await transport.send(spec(), options());
    expect(seen).toEqual({ method: "POST", url: "/v1/chat?x=1", type: "application/json" });
    expect(response.status).toBe(201);
    expect(response.headers["x-upstream"]).toBe("yes");
    const read = recorder();
    response.body.listen(read.listener);
    await read.done;
    expect(read.text()).toBe("first second");
  });

  it("reads a whole body, truncated or failed past a limit", async () => {
    handle = (_req, res) => res.end("0123456789");
    expect((await readBytes((await transport.send(spec(), options())).body, () => undefined, 100, "truncate")).toString()).toBe("0123456789");
    const response = await transport.send(spec(), options());
    await expect(readBytes(response.body, response.destroy, 4, (limit) => new Error(`over ${limit}`))).rejects.toThrow("over 4");
  });

  it("delivers nothing while paused, the server held by TCP backpressure, then the rest once resumed", async () => {
    // More than loopback's socket buffers on both sides hold.
    const total = 16 * 1024 * 1024;
    let blocked!: () => void;
    const serverBlocked = new Promise<void>((resolve) => (blocked = resolve));
    let written = 0;
    handle = (_req, res) => {
      res.writeHead(200, { "content-length": String(total) });
      const piece = Buffer.alloc(64 * 1024, 120);
      const write = () => {
        while (written < total) {
          written += piece.length;
          if (!res.write(piece)) {
            blocked();
            return void res.once("drain", write);
          }
        }
        res.end();
      };
      write();
    };
    const response = await transport.send(spec(), options());
    let received = 0;
    let atPause = 0;
    const ended = new Promise<void>((resolve, reject) => {
      response.body.listen({
        data: (bytes) => {
          received += bytes.byteLength;
          if (atPause === 0) {
            atPause = received;
            response.body.pause();
          }
        },
        end: resolve,
        error: reject,
      });
    });
    await serverBlocked;
    // Time for the socket to fill what buffers it has: a paused body must still deliver nothing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toBe(atPause);
    expect(written).toBeLessThan(total);
    response.body.resume();
    await ended;
    expect(received).toBe(total);
  });

  it("aborts the request mid-body when the signal aborts: the server sees the connection close", async () => {
    let closed!: Promise<void>;
    handle = (_req, res) => {
      closed = closedEarly(res);
      res.writeHead(200);
      res.write("data: 1\n\n");
    };
    const controller = new AbortController();
    const response = await transport.send(spec(), options(controller.signal));
    let first!: () => void;
    const firstChunk = new Promise<void>((resolve) => (first = resolve));
    const read = recorder(() => first());
    response.body.listen(read.listener);
    await firstChunk;
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(read.done).rejects.toBe(reason);
    await closed;
  });

  it("closes the connection when the response is destroyed mid-body", async () => {
    let closed!: Promise<void>;
    handle = (_req, res) => {
      closed = closedEarly(res);
      res.writeHead(200);
      res.write("data: 1\n\n");
    };
    const response = await transport.send(spec(), options());
    const read = recorder(() => response.destroy());
    response.body.listen(read.listener);
    await expect(read.done).rejects.toThrow();
    await closed;
  });

  it("rejects with the signal's reason when it aborts before the headers, or had already", async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    handle = () => arrived();
    const controller = new AbortController();
    const sent = transport.send(spec(), options(controller.signal));
    await requestArrived;
    const reason = new Error("total timeout");
    controller.abort(reason);
    await expect(sent).rejects.toBe(reason);
    await expect(transport.send(spec(), options(controller.signal))).rejects.toBe(reason);
  });

  it("fails with a headers timeout when the server never answers", async () => {
    handle = () => undefined;
    const err = await transport.send(spec(), options(undefined, 100)).catch((e: unknown) => e);
    expect(classifyTransportError(err)).toBe("headers_timeout");
  });

  it("fails the body, as a connection error, when the upstream resets mid-body", async () => {
    handle = (req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial", () => req.socket.destroy());
    };
    const response = await transport.send(spec(), options());
    const read = recorder();
    response.body.listen(read.listener);
    const err = await read.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(classifyTransportError(err)).toBe("connection");
  });

  it("fails a chunked body the upstream closes before its last chunk", async () => {
    handle = (_req, res) => {
      res.writeHead(200);
      res.write("data: 1\n\n", () => res.socket?.end());
    };
    const response = await transport.send(spec(), options());
    const read = recorder();
    response.body.listen(read.listener);
    await expect(read.done).rejects.toThrow();
  });

  it("keeps an error that came before anyone listened for the listener", async () => {
    let closed!: Promise<void>;
    handle = (req, res) => {
      closed = closedEarly(res);
      res.writeHead(200, { "content-length": "10" });
      res.flushHeaders();
      setImmediate(() => req.socket.destroy());
    };
    // undici publishes a request's error just before its handler hears of it.
    const failed = new Promise<void>((resolve) => {
      const onError = () => {
        diagnostics.unsubscribe("undici:request:error", onError);
        setImmediate(resolve);
      };
      diagnostics.subscribe("undici:request:error", onError);
    });
    const response = await transport.send(spec(), options());
    await closed;
    await failed;
    const read = recorder();
    response.body.listen(read.listener);
    await expect(read.done).rejects.toThrow();
  });
});
