import { InvalidRequestError } from "../../errors/gateway-error.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalEmbeddingResponse } from "../../spec/embedding.js";
import { geminiEmbedExtras } from "./same-format.js";
import { isObject } from "./wire.js";

/** Gemini names models "models/NAME"; tuned models already carry their collection. */
export function resourceName(model: string): string {
  return model.includes("/") ? model : `models/${model}`;
}

/** A batchEmbedContents body: one request per input text. Gemini takes text only, so token arrays are a 400. */
export function toGeminiEmbeddingBody(request: CanonicalRequest, model: string): Record<string, unknown> {
  const embedding = request.embedding!;
  const name = resourceName(model);
  const requests = embedding.input.map((input, i) => {
    if (typeof input !== "string") {
      throw new InvalidRequestError("unsupported_input", `input[${i}]: a Gemini target embeds text, not token arrays.`, { param: "input" });
    }
    return { ...geminiEmbedExtras(request, i), model: name, content: { parts: [{ text: input }] }, ...(embedding.dimensions !== undefined ? { outputDimensionality: embedding.dimensions } : {}) };
  });
  return { requests };
}

/** Reads `{embeddings: [{values}]}`; Gemini reports no token counts, so usage is left to Tollgate's tokenizer. */
export function parseGeminiEmbeddingResponse(body: unknown): CanonicalEmbeddingResponse {
  const embeddings = isObject(body) ? body.embeddings : undefined;
  if (!Array.isArray(embeddings)) throw new UpstreamProtocolError("Upstream returned an embeddings answer without an embeddings array.");
  const vectors = embeddings.map((e: unknown, i) => {
    const values = isObject(e) ? e.values : undefined;
    if (!Array.isArray(values) || !values.every((v) => typeof v === "number")) throw new UpstreamProtocolError(`Upstream returned embedding ${i} without numeric values.`);
    return values as number[];
  });
  return { model: "", vectors, rawEncoding: "float" };
}
