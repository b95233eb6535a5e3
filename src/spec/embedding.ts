import type { Usage } from "./usage.js";

/**
 * An embeddings request in canonical form (`CanonicalRequest.embedding`; its messages
 * are empty and it never streams). Inputs are texts, or token arrays (OpenAI accepts
 * those; a provider that takes only text rejects them).
 */
export interface EmbeddingInput {
  input: string[] | number[][];
  /** Length of each vector, for models that can shorten theirs. */
  dimensions?: number;
  /** How the client wants the vectors written: JSON numbers, or base64 of little-endian float32. */
  encodingFormat?: "float" | "base64";
}

/** A provider's embeddings answer in canonical form. */
export interface CanonicalEmbeddingResponse {
  /** The model that answered, when the provider says. */
  model: string;
  /** One vector per input, in input order. */
  vectors: number[][];
  /** How the raw body carries the vectors (OpenAI's API writes base64 when asked). */
  rawEncoding: "float" | "base64";
  /** Input tokens only (output is always 0); absent when the provider reports none (Tollgate then counts them, marked estimated). */
  usage?: Usage;
}

/** Little-endian float32 bytes, base64: OpenAI's `encoding_format: "base64"`. */
export function vectorToBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString("base64");
}

/** The inverse of vectorToBase64. */
export function vectorFromBase64(text: string): number[] {
  const bytes = Buffer.from(text, "base64");
  const out = new Array<number>(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
