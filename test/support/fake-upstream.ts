/**
 * A real HTTP server on 127.0.0.1 that plays scripted answers, one per request, so
 * tests drive the gateway's transport over actual sockets. Every request is recorded
 * (with when the client went away), and close() destroys whatever is still open.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

export type UpstreamScript =
  /** 200 text/event-stream; each chunk is one write(); `delayMs` waits before every chunk after the first. */
  | { kind: "sse"; chunks: Buffer[]; delayMs?: number; endWithoutDone?: boolean; status?: number; headers?: Record<string, string> }
  /** A JSON body (content-type application/json unless `headers` says otherwise). */
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  /** Reads the request, never answers (no headers) until the client goes away. */
  | { kind: "hang" }
  /** 200 text/event-stream headers, the chunks, then silence with the connection open. */
  | { kind: "stall"; chunks: Buffer[]; headers?: Record<string, string> }
  /** 200 text/event-stream headers and the chunks, then the socket is destroyed mid-body. `beforeHeaders`: destroy it before any byte. */
  | { kind: "cut"; chunks: Buffer[]; beforeHeaders?: boolean; headers?: Record<string, string> }
  /** Any status with a verbatim body (string or bytes; other values are JSON-encoded). */
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Decides the answer from the request (its parsed body): a model whose reply depends on what it was sent. */
  | { kind: "reply"; answer: (body: unknown) => Exclude<UpstreamScript, { kind: "reply" }> };

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. "/v1/chat/completions". */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; the raw text when not JSON; undefined when empty. */
  body: unknown;
  rawBody: string;
  /** performance.now() when the request arrived. */
  receivedAt: number;
  /** performance.now() when the exchange ended before the response was complete: the client closed the socket, or a "cut" script destroyed it. */
  closedAt?: number;
  /** Who ended the exchange early. */
  closedBy?: "client" | "server";
  /** performance.now() when the whole response was written (absent if it never was). */
  finishedAt?: number;
  /** The script that answered it. */
  script: UpstreamScript["kind"];
  /** Response bytes written so far and SSE frames (blank-line-terminated blocks) among them. */
  served: { bytes: number; frames: number };
}

export interface FakeUpstream {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** Every request, in arrival order (pushed once its body is read); entries update live. */
  requests: RecordedRequest[];
  /** Queues scripts, each answering one request, first in first out. */
  enqueue(...scripts: UpstreamScript[]): void;
  /** The script used when the queue is empty (initially a 500 JSON error saying no script was queued). */
  setDefault(script: UpstreamScript): void;
  /** Scripts still queued. */
  pending(): number;
  /** Destroys every open socket and stops the server. Idempotent. */
  close(): Promise<void>;
}

const NO_SCRIPT: UpstreamScript = { kind: "json", status: 500, body: { error: { message: "fake upstream: no script queued", type: "fake_upstream" } } };

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/** Counts blank-line-terminated blocks across writes (\n, \r\n and \r line endings). */
class FrameCounter {
  private lineLen = 0;
  private prevCR = false;
  private blockHasLines = false;
  frames = 0;

  feed(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0x0a && this.prevCR) {
        this.prevCR = false;
        continue;
      }
      this.prevCR = b === 0x0d;
      if (b === 0x0a || b === 0x0d) {
        if (this.lineLen > 0) this.blockHasLines = true;
        else if (this.blockHasLines) {
          this.frames++;
          this.blockHasLines = false;
        }
        this.lineLen = 0;
      } else {
        this.lineLen++;
      }
    }
  }
}

const DONE_LF = Buffer.from("data: [DONE]\n\n");
const DONE_CRLF = Buffer.from("data: [DONE]\r\n\r\n");

/** The chunks with a trailing `data: [DONE]` frame removed, keeping the original cut points. */
function withoutDone(chunks: Buffer[]): Buffer[] {
  const all = Buffer.concat(chunks);
  const done = [DONE_CRLF, DONE_LF].find((d) => all.length >= d.length && all.subarray(all.length - d.length).equals(d));
  if (!done) return chunks;
  let keep = all.length - done.length;
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (keep <= 0) break;
    out.push(c.subarray(0, Math.min(c.length, keep)));
    keep -= c.length;
  }
  return out.filter((c) => c.length > 0);
}

function toBody(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return Buffer.from(JSON.stringify(body), "utf8");
}

/** What a gate sees of a request before any script answers it. */
export type GatedRequest = Pick<RecordedRequest, "method" | "path" | "headers" | "rawBody" | "body">;

interface FakeUpstreamOptions {
  /**
   * Checks every request first (a signature, a bearer token) or answers it itself (a token
   * endpoint): a script it returns answers the request and the queue is left untouched;
   * undefined lets the queue answer.
   */
  gate?: (request: GatedRequest) => UpstreamScript | undefined;
}

export async function createFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const queue: UpstreamScript[] = [];
  let fallback: UpstreamScript = NO_SCRIPT;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let closing = false;

  const server = createServer({ keepAliveTimeout: 1000 }, (req, res) => {
    void handle(req, res).catch(() => {
      // A write on a socket the client already closed: nothing to report.
      res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Node's defaults would cut a hanging test after 300 s; tests close the server themselves.
  server.requestTimeout = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const rawBody = Buffer.concat(parts).toString("utf8");
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const gated = options.gate?.({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, rawBody, body });
    const queued = gated ?? queue.shift() ?? fallback;
    const script = queued.kind === "reply" ? queued.answer(body) : queued;
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body,
      rawBody,
      receivedAt,
      script: script.kind,
      served: { bytes: 0, frames: 0 },
    };
    requests.push(record);

    const counter = new FrameCounter();
    let ended = false;
    const markClosed = (by: "client" | "server") => {
      if (ended || record.closedAt !== undefined) return;
      record.closedAt = performance.now();
      record.closedBy = closing ? "server" : by;
    };
    const socket = req.socket;
    const onSocketClose = () => markClosed("client");
    socket.on("close", onSocketClose);
    res.on("error", () => {
      // Writes after the client left; `closedAt` already tells the story.
    });
    const gone = new Promise<void>((resolve) => {
      res.on("close", () => {
        socket.off("close", onSocketClose);
        if (!res.writableFinished) markClosed("client");
        resolve();
      });
    });
    const open = () => !closing && record.closedAt === undefined && !res.destroyed;

    const write = (chunk: Buffer): Promise<void> =>
      new Promise((resolve) => {
        if (!open()) return resolve();
        record.served.bytes += chunk.length;
        counter.feed(chunk);
        record.served.frames = counter.frames;
        // Resolves once handed to the OS, or when the exchange ends first.
        res.write(chunk, () => resolve());
        void gone.then(() => resolve());
      });
    const finish = (data?: Buffer) => {
      if (!open()) return;
      if (data && data.length > 0) {
        record.served.bytes += data.length;
        counter.feed(data);
        record.served.frames = counter.frames;
      }
      res.on("finish", () => {
        ended = true;
        record.finishedAt = performance.now();
      });
      res.end(data);
    };

    switch (script.kind) {
      case "json": {
        res.writeHead(script.status, { "content-type": "application/json", ...script.headers });
        finish(toBody(script.body));
        return;
      }
      case "status": {
        res.writeHead(script.status, { ...script.headers });
        finish(toBody(script.body));
        return;
      }
      case "hang": {
        await gone;
        return;
      }
      case "sse":
      case "stall":
      case "cut": {
        if (script.kind === "cut" && script.beforeHeaders) {
          markClosed("server");
          socket.destroy();
          return;
        }
        const status = script.kind === "sse" ? (script.status ?? 200) : 200;
        res.writeHead(status, { ...SSE_HEADERS, ...script.headers });
        res.flushHeaders();
        const chunks = script.kind === "sse" && script.endWithoutDone ? withoutDone(script.chunks) : script.chunks;
        for (let i = 0; i < chunks.length; i++) {
          if (i > 0 && script.kind === "sse" && script.delayMs !== undefined) await sleep(script.delayMs);
          if (!open()) return;
          await write(chunks[i]!);
        }
        if (script.kind === "sse") finish();
        else if (script.kind === "cut") {
          if (!open()) return;
          markClosed("server");
          socket.destroy();
        } else await gone;
        return;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...scripts) => void queue.push(...scripts),
    setDefault: (script) => {
      fallback = script;
    },
    pending: () => queue.length,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

export interface WaitForOptions {
  /** Give up after this long (default 2000 ms). */
  timeoutMs?: number;
  /** Pause between checks (default 5 ms). */
  intervalMs?: number;
  /** Included in the timeout error. */
  message?: string;
}

/**
 * Resolves once `predicate` returns true, checking every few ms; rejects after
 * `timeoutMs`. For waiting on events (a request arrived, a socket closed), not for
 * asserting how long they took.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, options: WaitForOptions = {}): Promise<void> {
  // A safety net, not an expectation of speed: on a busy machine events can take seconds.
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() >= deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms${options.message ? `: ${options.message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}
