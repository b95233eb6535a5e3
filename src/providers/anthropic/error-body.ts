import { parseOpenAIErrorBody, type UpstreamErrorFields } from "../openai/error-body.js";

/**
 * Reads Anthropic's `{"type":"error","error":{"type":"overloaded_error","message":"..."}}`;
 * anything else (a proxy's HTML page, an empty body) as the OpenAI reader would.
 */
export function parseAnthropicErrorBody(text: string, status: number): UpstreamErrorFields {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const err = body?.error;
    if (err && typeof err === "object") {
      const e = err as { type?: unknown; message?: unknown };
      const fields: UpstreamErrorFields = { message: typeof e.message === "string" && e.message !== "" ? e.message : `Upstream returned ${status}.` };
      if (typeof e.type === "string") fields.type = e.type;
      return fields;
    }
  } catch {
    // Not JSON: the generic reader quotes the text.
  }
  return parseOpenAIErrorBody(text, status);
}
