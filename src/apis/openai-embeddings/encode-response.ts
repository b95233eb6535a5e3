import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { vectorToBase64, type CanonicalEmbeddingResponse } from "../../spec/embedding.js";
import type { Usage } from "../../spec/usage.js";

/** A canonical embeddings answer as OpenAI's body: vectors as numbers, or base64 float32 when the client asked. */
export function toEmbeddingList(request: CanonicalRequest, response: CanonicalEmbeddingResponse & { usage: Usage }): string {
  const base64 = request.embedding?.encodingFormat === "base64";
  return JSON.stringify({
    object: "list",
    data: response.vectors.map((vector, index) => ({ object: "embedding", index, embedding: base64 ? vectorToBase64(vector) : vector })),
    model: response.model || request.model,
    usage: { prompt_tokens: response.usage.inputTokens, total_tokens: response.usage.inputTokens },
  });
}
