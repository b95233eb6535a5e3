import type { IncomingMessage } from "node:http";
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors/gateway-error.js";

/** Reads and parses a JSON request body, refusing more than `limit` bytes before buffering them. */
export async function readJsonBody(req: IncomingMessage & { body?: unknown }, limit: number): Promise<unknown> {
  // A host framework (express.json(), Fastify) may have parsed it already.
  if (req.body !== undefined && typeof req.body === "object" && !Buffer.isBuffer(req.body)) return req.body;
  const type = req.headers["content-type"];
  if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) throw new UnsupportedMediaTypeError(type);
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    parts.push(part);
  }
  const text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString("utf8");
  if (text.length === 0) throw new InvalidRequestError("invalid_json", "The request body is empty; expected a JSON object.");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError("invalid_json", `The request body is not valid JSON: ${(err as Error).message}`);
  }
}
