import type { IncomingMessage } from "node:http";
import { InvalidRequestError, PayloadTooLargeError, RequestTimeoutError, ServerBusyError, UnsupportedMediaTypeError } from "../errors/gateway-error.js";
import type { BodyBytes } from "./body-bytes.js";

export interface BodyLimits {
  /** Bytes one body may have (413 beyond). */
  limit: number;
  /** The whole body must arrive within this (408 beyond). */
  timeoutMs: number;
  /** Bytes all bodies being read may hold together (503 beyond). */
  inFlight: BodyBytes;
}

/**
 * Reads and parses a JSON request body, refusing more than `limit` bytes before buffering
 * them, a body slower than `timeoutMs`, and a body that would pass the gateway's bytes in
 * flight. On refusal the rest is left unread (the caller closes the connection).
 */
export async function readJsonBody(req: IncomingMessage & { body?: unknown }, limits: BodyLimits): Promise<unknown> {
  // A host framework (express.json(), Fastify) may have parsed it already.
  if (req.body !== undefined && typeof req.body === "object" && !Buffer.isBuffer(req.body)) return req.body;
  const type = req.headers["content-type"];
  if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) throw new UnsupportedMediaTypeError(type);
  const declared = Number(req.headers["content-length"]);
  if (declared > limits.limit) throw new PayloadTooLargeError(limits.limit);
  // The parser emits the request before it parses on through the bytes that came with the head:
  // asked for in the request event itself (nothing awaited since), the body is there a microtask
  // later, nearly always. One await is far cheaper than listening for it (collect).
  if (!whole(req, declared)) await Promise.resolve();
  const bytes = whole(req, declared) ? buffered(req, limits) : await collect(req, limits);
  const text = bytes.toString("utf8");
  if (text.length === 0) throw new InvalidRequestError("invalid_json", "The request body is empty; expected a JSON object.");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError("invalid_json", `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** All its bytes are buffered once the parser has them (usually with the headers), before it marks the request complete. */
function whole(req: IncomingMessage, declared: number): boolean {
  return req.readableFlowing !== true && (req.complete || req.readableLength === declared);
}

/**
 * The whole body is already in the request's buffer: taken at once, with the same limits,
 * and no timer, listeners or promise.
 */
function buffered(req: IncomingMessage, limits: BodyLimits): Buffer {
  const size = req.readableLength;
  if (size > limits.limit) throw new PayloadTooLargeError(limits.limit);
  if (!limits.inFlight.take(size)) throw new ServerBusyError();
  limits.inFlight.release(size);
  if (!req.complete) taken.add(req);
  return (req.read() as Buffer | null) ?? Buffer.alloc(0);
}

/** Requests whose declared bytes were all taken before the parser marked them complete (it does a moment later). */
const taken = new WeakSet<IncomingMessage>();

/** Whether the request's body was read to its end: if not, the connection must close after the answer, or the rest would be parsed as the next request. */
export function bodyRead(req: IncomingMessage): boolean {
  return req.complete || taken.has(req);
}

function collect(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | undefined) => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      // The buffered bytes are handed over (or dropped): they no longer count as in flight.
      limits.inFlight.release(size);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    };
    const onData = (part: Buffer) => {
      if (size + part.length > limits.limit) return finish(new PayloadTooLargeError(limits.limit));
      if (!limits.inFlight.take(part.length)) return finish(new ServerBusyError());
      size += part.length;
      parts.push(part);
    };
    const onEnd = () => finish(undefined);
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new InvalidRequestError("invalid_json", "The client closed the connection before the body was complete."));
    const timer = setTimeout(() => finish(new RequestTimeoutError(limits.timeoutMs)), limits.timeoutMs);
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}
