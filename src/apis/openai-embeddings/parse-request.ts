import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { EmbeddingInput } from "../../spec/embedding.js";
import { fieldPath } from "../../errors/field-path.js";

/** OpenAI's limit on inputs per request. */
const MAX_INPUTS = 2048;

const token = z.number().int().nonnegative();
const text = z.string().min(1, "an input must not be an empty string");
const tokens = z.array(token).min(1, "a token array must not be empty");

/** The embeddings fields Tollgate reads; others pass through to OpenAI-shaped upstreams untouched. */
const embeddingRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([text, z.array(text).min(1).max(MAX_INPUTS), tokens, z.array(tokens).min(1).max(MAX_INPUTS)]),
  dimensions: z.number().int().positive().nullish(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  user: z.string().nullish(),
  stream: z.unknown().optional(),
});

/** Validates an OpenAI embeddings body into the canonical request (no messages, never streamed); throws a 400 naming the bad field. */
export function parseEmbeddingRequest(body: unknown): CanonicalRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  }
  const raw = body as Record<string, unknown>;
  if (raw.stream !== undefined && raw.stream !== null && raw.stream !== false) {
    throw new InvalidRequestError("invalid_request", "Embeddings are not streamed: remove `stream`.", { param: "stream" });
  }
  const parsed = embeddingRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // A bad input matches none of its shapes: say what they are.
    const badInput = issue.path[0] === "input";
    const message = badInput ? "input must be a non-empty string, an array of them, a token array, or an array of token arrays" : issue.message;
    const param = badInput ? "input" : fieldPath(issue.path);
    throw new InvalidRequestError("invalid_request", `Invalid value for ${param || "body"}: ${message}`, { param: param || null });
  }
  const w = parsed.data;
  const input: EmbeddingInput["input"] = typeof w.input === "string" ? [w.input] : typeof w.input[0] === "number" ? [w.input as number[]] : (w.input as string[] | number[][]);
  const embedding: EmbeddingInput = { input };
  if (w.dimensions != null) embedding.dimensions = w.dimensions;
  if (w.encoding_format != null) embedding.encodingFormat = w.encoding_format;
  return { model: w.model, messages: [], stream: false, includeUsage: false, embedding, inbound: { api: "openai-embeddings", body: raw } };
}
