import { InvalidRequestError } from "../../errors/gateway-error.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalEmbeddingResponse } from "../../spec/embedding.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

function texts(request: CanonicalRequest): string[] {
  return request.embedding!.input.map((input, i) => {
    if (typeof input !== "string") throw new InvalidRequestError("unsupported_input", `input[${i}]: a Bedrock target embeds text, not token arrays.`, { param: "input" });
    return input;
  });
}

/**
 * The InvokeModel body for an embedding model: Cohere's (`cohere.embed-*`) takes a batch
 * of texts; Titan's (`amazon.titan-embed-*`) one text per call, so a batch is a 400 there.
 */
export function toBedrockEmbeddingBody(request: CanonicalRequest, model: string): Json {
  const input = texts(request);
  const dimensions = request.embedding!.dimensions;
  if (model.includes("cohere.")) {
    return { texts: input, input_type: "search_document", embedding_types: ["float"], ...(dimensions !== undefined ? { output_dimension: dimensions } : {}) };
  }
  if (input.length !== 1) throw new InvalidRequestError("unsupported_input", "A Titan embedding model takes one text per request: send the inputs one at a time.", { param: "input" });
  return { inputText: input[0], ...(dimensions !== undefined ? { dimensions } : {}) };
}

function vectorsOf(list: unknown): number[][] {
  if (!Array.isArray(list) || !list.every((v) => Array.isArray(v) && v.every((x) => typeof x === "number"))) {
    throw new UpstreamProtocolError("Upstream returned embeddings that are not arrays of numbers.");
  }
  return list as number[][];
}

/** Titan's `{embedding, inputTextTokenCount}` (with usage) or Cohere's `{embeddings: {float: [...]}}` (usage left to the tokenizer). */
export function parseBedrockEmbeddingResponse(body: unknown): CanonicalEmbeddingResponse {
  if (!isObject(body)) throw new UpstreamProtocolError("Upstream returned an embeddings answer that is not an object.");
  if (Array.isArray(body.embedding)) {
    const [vector] = vectorsOf([body.embedding]);
    const response: CanonicalEmbeddingResponse = { model: "", vectors: [vector!], rawEncoding: "float" };
    if (typeof body.inputTextTokenCount === "number") {
      response.usage = { inputTokens: body.inputTextTokenCount, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
    }
    return response;
  }
  const embeddings = isObject(body.embeddings) ? body.embeddings.float : body.embeddings;
  return { model: "", vectors: vectorsOf(embeddings), rawEncoding: "float" };
}
