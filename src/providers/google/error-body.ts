import type { UpstreamErrorFields } from "../openai/error-body.js";
import { isObject } from "./wire.js";

interface GeminiErrorWire {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

/** "34.4s" (a protobuf Duration in JSON) in ms; undefined when unreadable. */
function parseDuration(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/**
 * Reads Google's `{"error": {code, message, status, details}}`. The status (RESOURCE_EXHAUSTED,
 * INVALID_ARGUMENT, ...) becomes the code, lower-cased; a google.rpc.RetryInfo detail's
 * `retryDelay` becomes retryAfterMs (a Retry-After header, when sent, wins over it).
 */
export function parseGeminiErrorBody(text: string, status: number): UpstreamErrorFields {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const snippet = text.trim().slice(0, 200);
    return { message: snippet ? `Upstream returned ${status}: ${snippet}` : `Upstream returned ${status}.` };
  }
  if (Array.isArray(body) && body.length === 1) body = body[0];
  const err = isObject(body) && isObject(body.error) ? (body.error as GeminiErrorWire) : undefined;
  if (!err) return { message: `Upstream returned ${status}.` };
  const fields: UpstreamErrorFields = { message: typeof err.message === "string" && err.message !== "" ? err.message : `Upstream returned ${status}.` };
  if (typeof err.status === "string") {
    fields.type = err.status;
    fields.code = err.status.toLowerCase();
  }
  if (Array.isArray(err.details)) {
    for (const detail of err.details) {
      if (!isObject(detail)) continue;
      const type = detail["@type"];
      if (typeof type === "string" && type.endsWith("google.rpc.RetryInfo")) {
        const ms = parseDuration(detail.retryDelay);
        if (ms !== undefined) fields.retryAfterMs = ms;
      } else if (typeof type === "string" && type.endsWith("google.rpc.BadRequest") && Array.isArray(detail.fieldViolations)) {
        const field = (detail.fieldViolations as unknown[]).find(isObject)?.field;
        if (typeof field === "string") fields.param = field;
      }
    }
  }
  return fields;
}
