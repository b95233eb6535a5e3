import { parseAnthropicErrorBody } from "../anthropic/error-body.js";
import { parseGeminiErrorBody } from "../google/error-body.js";
import type { UpstreamErrorFields } from "../openai/error-body.js";

/**
 * Vertex answers with Google's `{"error": {code, status, message}}` for its own refusals
 * (auth, quota, a model not enabled), and a Claude model with Anthropic's error body.
 */
export function parseVertexErrorBody(status: number, text: string): UpstreamErrorFields {
  try {
    const body = JSON.parse(text) as { type?: unknown };
    if (body?.type === "error") return parseAnthropicErrorBody(text, status);
  } catch {
    // Not JSON: Google's reader quotes it.
  }
  return parseGeminiErrorBody(text, status);
}
