import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BodyBytes } from "./body-bytes.js";
import { type BodyLimits, bodyRead, readJsonBody } from "./read-body.js";

const limits = (limit = 1024, inFlight = 1 << 20): BodyLimits => ({ limit, timeoutMs: 5_000, inFlight: new BodyBytes(inFlight) });

/**
 * Past the request event: a small body sent in one write with its head is in the request's
 * buffer by then, while the parser has yet to mark the request complete (a turn later).
 */
const whole = async () => {
  await Promise.resolve();
};

let server: Server | undefined;
afterEach(() => server?.close());

/**
 * One request against a server that reads its body once `ready` resolves and answers with
 * the body or the error's code. Only the body's first part goes with the head; the rest
 * is sent once the server reads, so that it arrives while being read.
 */
async function exchange(options: {
  limits: BodyLimits;
  parts: string[];
  declared?: number;
  ready?: (req: IncomingMessage) => Promise<void>;
}): Promise<{ answer: unknown; buffered: number; complete: boolean; read: boolean }> {
  const { parts, ready = whole } = options;
  const declared = options.declared ?? Buffer.byteLength(parts.join(""));
  let buffered = -1;
  let read = false;
  let complete = false;
  let socket: Socket | undefined;
  server = createServer(async (req, res) => {
    await ready(req);
    buffered = req.readableLength;
    complete = req.complete;
    const reading = readJsonBody(req, options.limits);
    for (const part of parts.slice(1)) socket?.write(part);
    try {
      const body = await reading;
      // Answered at once, as a refusal after parsing is: the connection may carry the next request.
      read = bodyRead(req);
      res.end(JSON.stringify({ body }));
    } catch (err) {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: (err as { code?: string }).code ?? String(err) }));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  socket = client;
  client.setEncoding("utf8");
  let text = "";
  client.on("data", (chunk: string) => {
    text += chunk;
  });
  client.write(`POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n${parts[0] ?? ""}`);
  await once(client, "end");
  return { answer: JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)), buffered, complete, read };
}

describe("readJsonBody", () => {
  it("takes a body the parser already holds whole", async () => {
    // Taken before the parser marked the request complete: it counts as read all the same.
    expect(await exchange({ limits: limits(), parts: ['{"a":[1,2]}'] })).toEqual({ answer: { body: { a: [1, 2] } }, buffered: 11, complete: false, read: true });
  });

  it("takes a body whole when asked for in the request event, before the parser reached it", async () => {
    let flowing: boolean | null = null;
    let bufferedAtFirst = -1;
    server = createServer(async (req, res) => {
      bufferedAtFirst = req.readableLength;
      const body = await readJsonBody(req, limits());
      // Taken from the buffer, not listened for.
      flowing = req.readableFlowing;
      res.end(JSON.stringify(body));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    // Head and body in one write, as clients send a small request.
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    client.setEncoding("utf8");
    let text = "";
    client.on("data", (chunk: string) => {
      text += chunk;
    });
    client.write('POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"a":1}');
    await once(client, "end");
    expect(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4))).toEqual({ a: 1 });
    expect(bufferedAtFirst).toBe(0);
    expect(flowing).not.toBe(true);
  });

  it("reads a body still arriving as it comes", async () => {
    const { answer, buffered, read } = await exchange({ limits: limits(), parts: ['{"a":', '"b"', "}"], ready: async () => {} });
    expect(answer).toEqual({ body: { a: "b" } });
    expect(buffered).toBeLessThan(9);
    expect(read).toBe(true);
  });

  it("refuses a body over the limit (by its declared size) and one over the bytes in flight, held whole or arriving", async () => {
    for (const [limit, inFlight, code] of [
      [8, 1024, "request_too_large"],
      [1024, 8, "server_busy"],
    ] as const) {
      for (const parts of [['{"a":"0123456789"}'], ['{"a":', '"0123456789"}']]) {
        const ready = parts.length === 1 ? whole : async () => {};
        const { answer } = await exchange({ limits: limits(limit, inFlight), parts, ready });
        expect(answer).toMatchObject({ error: code });
      }
    }
  });

  it("refuses an empty body", async () => {
    expect((await exchange({ limits: limits(), parts: [""] })).answer).toMatchObject({ error: "invalid_json" });
  });
});
