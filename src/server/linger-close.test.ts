import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { sendThenRead } from "../../test/support/send-then-read.js";
import { LingeringClose, type LingerLimits } from "./linger-close.js";

const BODY = JSON.stringify({ error: { code: "invalid_api_key" } });
const ANSWER = new RegExp(`^HTTP/1\\.1 401 Unauthorized\\r\\n[\\s\\S]*\\r\\n\\r\\n${BODY.replace(/[{}]/g, "\\$&")}$`);
/** Bounds no test reaches: the test ends the linger itself (or sets the one bound it checks). */
const NEVER = 600_000;

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** A server that answers every request 401 with its body unread, as the gateway refuses a request without a key, then lingers. */
async function refusing(
  limits: Partial<LingerLimits> = {},
  readFirst = false,
): Promise<{ port: number; linger: LingeringClose; requests: () => number; clientErrors: string[]; served: Socket[]; closed: () => Promise<void> }> {
  const linger = new LingeringClose({ max: 1024, totalMs: NEVER, idleMs: NEVER, ...limits });
  let requests = 0;
  // The server's side of each connection, and its close: what the linger's end is (a half-open client may not learn of it).
  const served: Socket[] = [];
  const sockets: Promise<void>[] = [];
  server = createServer((req, res) => {
    requests++;
    const socket = req.socket;
    res.once("finish", () => linger.close(socket));
    if (readFirst) {
      // Refused mid-body (413, 408): the request is paused with its body part read, as read-body leaves
      // it, and answered once its buffer is full and node:http has stopped reading the socket for it.
      req.once("data", () => {
        req.pause();
        socket.once("pause", () => {
          res.writeHead(401, { connection: "close", "content-type": "application/json", "content-length": String(BODY.length) });
          res.end(BODY);
        });
      });
      return;
    }
    res.writeHead(401, { connection: "close", "content-type": "application/json", "content-length": String(BODY.length) });
    res.end(BODY);
  });
  server.on("connection", (socket: Socket) => {
    served.push(socket);
    sockets.push(new Promise((resolve) => socket.once("close", () => resolve())));
  });
  // What node:http would report about the connection once the linger has it: nothing.
  const clientErrors: string[] = [];
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    clientErrors.push(err.code ?? err.message);
    socket.destroy();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, linger, requests: () => requests, clientErrors, served, closed: () => Promise.all(sockets).then(() => undefined) };
}

const head = (declared: number) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`;

/** A client that writes its whole body out first and reads the answer only then (curl, a blocking client); a reset even after the answer is reported. */
const upload = (port: number, declared: number) => sendThenRead(`http://127.0.0.1:${port}`, "/v1/chat/completions", {}, declared, { resetAfterAnswer: true });

/** A client that keeps its side open after our FIN, as one still sending its body does; resolves once the answer and our FIN have come. */
async function halfOpen(port: number, partial: string): Promise<{ socket: Socket; answer: string; closed: Promise<void> }> {
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  let answer = "";
  socket.setEncoding("latin1");
  socket.on("data", (text: string) => (answer += text));
  socket.write(partial);
  await once(socket, "end");
  return { socket, answer, closed };
}

describe("LingeringClose", () => {
  it("200 clients that send their whole body before reading each read the whole 401 (no reset), then the connection closes", async () => {
    const { port, linger, closed } = await refusing();
    const answers = await Promise.all(Array.from({ length: 200 }, () => upload(port, 256 * 1024)));
    expect(answers.filter((a) => !ANSWER.test(a))).toEqual([]);
    await closed();
    expect(linger.count).toBe(0);
  });

  it("a body refused part read (its request paused) is drained too", async () => {
    const { port, closed } = await refusing({}, true);
    expect(await upload(port, 4 * 1024 * 1024)).toMatch(ANSWER);
    await closed();
  });

  it("bytes after the answer are dropped, not parsed: a whole second request in them gets no answer", async () => {
    const { port, linger, requests, closed } = await refusing();
    const client = await halfOpen(port, `${head(10)}{"a":`);
    expect(client.answer).toMatch(ANSWER);
    expect(linger.count).toBe(1);
    // The body's last 5 bytes, then a request.
    client.socket.end("1}   GET /second HTTP/1.1\r\nhost: x\r\n\r\n");
    await Promise.all([client.closed, closed()]);
    expect(requests()).toBe(1);
    expect(client.answer).toMatch(ANSWER);
    expect(linger.count).toBe(0);
  });

  it("ends when the client closes its side", async () => {
    const { port, linger, clientErrors, closed } = await refusing();
    const client = await halfOpen(port, `${head(1_000_000)}{"a":`);
    client.socket.write(" ".repeat(100_000));
    expect(linger.count).toBe(1);
    client.socket.end();
    // Its bounds are never reached: only the client's FIN ends it, and not as a cut request.
    await Promise.all([client.closed, closed()]);
    expect(clientErrors).toEqual([]);
    expect(linger.count).toBe(0);
  });

  it("ends once the client has been silent for idleMs", async () => {
    const { port, linger, closed } = await refusing({ idleMs: 20 });
    const client = await halfOpen(port, `${head(1_000_000)}{"a":`);
    expect(linger.count).toBe(1);
    // The client sends nothing more and never closes: only the idle bound ends it.
    await closed();
    expect(client.socket.closed).toBe(false);
    expect(linger.count).toBe(0);
    client.socket.destroy();
  });

  it("a stall of this process is not taken for the client's silence: what it sent meanwhile counts", async () => {
    const { port, linger, served, closed } = await refusing({ idleMs: 100 });
    const client = await halfOpen(port, `${head(1_000_000)}{"a":`);
    client.socket.write(" ".repeat(64));
    // The process stalls (GC, a busy core) past idleMs with those bytes unread; timers run before reads.
    const until = Date.now() + 300;
    while (Date.now() < until);
    // The overdue check runs (timers phase), then gives its verdict once the socket is read (check phase).
    await sleep(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(served[0]!.destroyed).toBe(false);
    expect(linger.count).toBe(1);
    client.socket.end();
    await Promise.all([client.closed, closed()]);
  });

  it("ends after totalMs however the client keeps sending", async () => {
    const { port, linger, closed } = await refusing({ totalMs: 50 });
    const client = await halfOpen(port, `${head(1_000_000)}{"a":`);
    const trickle = setInterval(() => client.socket.writable && client.socket.write(" ".repeat(64)), 5);
    // The client never stops sending: only the total bound ends it.
    await closed();
    clearInterval(trickle);
    expect(linger.count).toBe(0);
    client.socket.destroy();
  });

  it("past max lingering connections, closes at once", async () => {
    const { port, linger, closed } = await refusing({ max: 1 });
    const first = await halfOpen(port, `${head(1_000_000)}{"a":`);
    const second = connect(port, "127.0.0.1");
    second.on("error", () => undefined);
    second.write(`${head(1_000_000)}{"a":`);
    second.resume();
    await new Promise((resolve) => second.once("close", resolve));
    // The second was closed while the first still lingers (its bounds are never reached).
    expect(first.socket.closed).toBe(false);
    expect(linger.count).toBe(1);
    first.socket.end();
    await Promise.all([first.closed, closed()]);
    expect(linger.count).toBe(0);
  });
});
