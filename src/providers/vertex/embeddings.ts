import { InvalidRequestError } from "../../errors/gateway-error.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalEmbeddingResponse } from "../../spec/embedding.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** Vertex's `:predict` body for a text embedding model: one instance per input text. */
export function toVertexEmbeddingBody(request: CanonicalRequest): Json {
  const embedding = request.embedding!;
  const instances = embedding.input.map((input, i) => {
    if (typeof input !== "string") throw new InvalidRequestError("unsupported_input", `input[${i}]: a Vertex target embeds text, not token arrays.`, { param: "input" });
    return { content: input };
  });
  return { instances, ...(embedding.dimensions !== undefined ? { parameters: { outputDimensionality: embedding.dimensions } } : {}) };
}

/** `{predictions: [{embeddings: {values, statistics: {token_count}}}]}`: the vectors, and the token counts summed as the input usage. */
export function parseVertexEmbeddingResponse(body: unknown): CanonicalEmbeddingResponse {
  const predictions = isObject(body) ? body.predictions : undefined;
  if (!Array.isArray(predictions)) throw new UpstreamProtocolError("Upstream returned an embeddings answer without predictions.");
  let tokens = 0;
  let counted = true;
  const vectors = predictions.map((p: unknown, i) => {
    const embeddings = isObject(p) && isObject(p.embeddings) ? p.embeddings : undefined;
    const values = embeddings?.values;
    if (!Array.isArray(values) || !values.every((v) => typeof v === "number")) throw new UpstreamProtocolError(`Upstream returned embedding ${i} without numeric values.`);
    const count = isObject(embeddings!.statistics) ? embeddings!.statistics.token_count : undefined;
    if (typeof count === "number") tokens += count;
    else counted = false;
    return values as number[];
  });
  const response: CanonicalEmbeddingResponse = { model: "", vectors, rawEncoding: "float" };
  if (counted && vectors.length > 0) response.usage = { inputTokens: tokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" };
  return response;
}
