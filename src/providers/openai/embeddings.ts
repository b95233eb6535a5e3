import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { vectorFromBase64, type CanonicalEmbeddingResponse } from "../../spec/embedding.js";
import { normalizeOpenAIUsage } from "./usage.js";

/**
 * An /embeddings body. From an OpenAI embeddings client, its own body with the target's
 * model (so fields Tollgate does not model reach the provider unchanged); else built from
 * the canonical request.
 */
export function toEmbeddingBody(request: CanonicalRequest, model: string): Record<string, unknown> {
  if (request.inbound.api === "openai-embeddings") return { ...request.inbound.body, model };
  const embedding = request.embedding!;
  const body: Record<string, unknown> = { model, input: embedding.input };
  if (embedding.dimensions !== undefined) body.dimensions = embedding.dimensions;
  if (embedding.encodingFormat !== undefined) body.encoding_format = embedding.encodingFormat;
  return body;
}

/** Reads `{data: [{index, embedding}], model, usage}`; vectors come as numbers or, when asked, base64 float32. */
export function parseEmbeddingResponse(body: unknown): CanonicalEmbeddingResponse {
  const wire = body as { data?: unknown; model?: unknown; usage?: unknown } | null;
  if (wire === null || typeof wire !== "object" || !Array.isArray(wire.data)) throw new UpstreamProtocolError("Upstream returned an embeddings answer without a data array.");
  let base64 = false;
  const entries = wire.data.map((item: unknown, position) => {
    const e = (item ?? {}) as { index?: unknown; embedding?: unknown };
    const index = typeof e.index === "number" ? e.index : position;
    if (typeof e.embedding === "string") {
      base64 = true;
      return { index, vector: vectorFromBase64(e.embedding) };
    }
    if (Array.isArray(e.embedding) && e.embedding.every((v) => typeof v === "number")) return { index, vector: e.embedding as number[] };
    throw new UpstreamProtocolError(`Upstream returned embedding ${position} that is neither numbers nor base64.`);
  });
  entries.sort((a, b) => a.index - b.index);
  const response: CanonicalEmbeddingResponse = { model: typeof wire.model === "string" ? wire.model : "", vectors: entries.map((e) => e.vector), rawEncoding: base64 ? "base64" : "float" };
  const usage = normalizeOpenAIUsage(wire.usage);
  // Embeddings produce no output tokens, whatever a server puts beside prompt_tokens.
  if (usage) response.usage = { ...usage, outputTokens: 0, reasoningTokens: 0 };
  return response;
}
