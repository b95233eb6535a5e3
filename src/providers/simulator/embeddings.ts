import { vectorToBase64 } from "../../spec/embedding.js";
import { countTextTokens } from "../../usage/tokenizer.js";
import { SimRequestError } from "./request.js";

/** Length of a simulated vector when the request sets no `dimensions`. */
const SIM_EMBEDDING_DIMENSIONS = 256;

/** FNV-1a, 32-bit: a stable seed per input. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A unit vector determined by the input alone: the same text always embeds the same way. */
function simulatedVector(input: string | number[], dimensions: number): number[] {
  let state = hash(typeof input === "string" ? input : input.join(","));
  const values: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const v = state / 2 ** 32 - 0.5;
    values.push(v);
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return values.map((v) => Math.fround(v * scale));
}

/** OpenAI's embeddings answer for a request body, as OpenAI would write it. */
export function simulatedEmbeddings(bodyText: string): { model: string; body: string } {
  let body: { model?: unknown; input?: unknown; dimensions?: unknown; encoding_format?: unknown };
  try {
    body = JSON.parse(bodyText) as typeof body;
  } catch {
    throw new SimRequestError("The body is not JSON.");
  }
  const model = typeof body.model === "string" ? body.model : "";
  const raw = body.input;
  const inputs: Array<string | number[]> =
    typeof raw === "string" ? [raw] : Array.isArray(raw) && typeof raw[0] === "number" ? [raw as number[]] : Array.isArray(raw) ? (raw as Array<string | number[]>) : [];
  if (inputs.length === 0) throw new SimRequestError("'input' is required.", "input");
  const dimensions = typeof body.dimensions === "number" && body.dimensions > 0 ? Math.min(Math.floor(body.dimensions), 4096) : SIM_EMBEDDING_DIMENSIONS;
  const base64 = body.encoding_format === "base64";
  const tokens = inputs.reduce((sum, input) => sum + (typeof input === "string" ? countTextTokens(input) : input.length), 0);
  const data = inputs.map((input, index) => {
    const vector = simulatedVector(input, dimensions);
    return { object: "embedding", index, embedding: base64 ? vectorToBase64(vector) : vector };
  });
  return { model, body: JSON.stringify({ object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }) };
}
