import type { UpstreamHttpResponse } from "../../transport/http-transport.js";
import { bytesBody } from "./response-body.js";

interface ErrorShape {
  type: string;
  code: string | null;
  message: string;
}

/** OpenAI's type, code and wording for a status, labelled as the simulator's. */
function shapeFor(status: number, model: string): ErrorShape {
  const label = "(simulated by the Tollgate simulator)";
  switch (status) {
    case 400:
      return { type: "invalid_request_error", code: null, message: `Bad request ${label}.` };
    case 401:
      return { type: "invalid_request_error", code: "invalid_api_key", message: `Incorrect API key provided ${label}.` };
    case 403:
      return { type: "invalid_request_error", code: "unsupported_country_region_territory", message: `Access denied ${label}.` };
    case 404:
      return { type: "invalid_request_error", code: "model_not_found", message: `The model \`${model}\` does not exist or you do not have access to it ${label}.` };
    case 408:
      return { type: "timeout", code: null, message: `Request timed out ${label}.` };
    case 429:
      return { type: "requests", code: "rate_limit_exceeded", message: `Rate limit reached for ${model || "the model"} ${label}. Please try again later.` };
    case 500:
      return { type: "server_error", code: null, message: `The server had an error while processing your request ${label}.` };
    case 502:
      return { type: "server_error", code: null, message: `Bad gateway ${label}.` };
    case 503:
      return { type: "server_error", code: "service_unavailable", message: `The engine is currently overloaded, please try again later ${label}.` };
    default:
      return { type: status >= 500 ? "server_error" : "invalid_request_error", code: null, message: `The simulator returned ${status} ${label}.` };
  }
}

function baseHeaders(requestId: string): Record<string, string> {
  return { "content-type": "application/json", "x-request-id": requestId, "x-tollgate-simulator": "true" };
}

/** An error answer with OpenAI's `{"error": {...}}` body. */
export function errorResponse(
  status: number,
  error: { message: string; type: string; code: string | null; param: string | null },
  requestId: string,
  headers: Record<string, string> = {},
): UpstreamHttpResponse {
  const body = JSON.stringify({ error });
  return { status, headers: { ...baseHeaders(requestId), ...headers }, ...bytesBody(body) };
}

/** The 400 for a body OpenAI would reject. */
export function badRequestResponse(message: string, param: string | null, requestId: string): UpstreamHttpResponse {
  return errorResponse(400, { message, type: "invalid_request_error", param, code: null }, requestId);
}

/** The answer of a `status` fault; 429 (or a configured wait) carries retry-after and retry-after-ms. */
export function statusFaultResponse(status: number, retryAfterSeconds: number | undefined, model: string, requestId: string): UpstreamHttpResponse {
  const shape = shapeFor(status, model);
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) {
    headers["retry-after"] = String(Math.ceil(retryAfterSeconds));
    headers["retry-after-ms"] = String(Math.round(retryAfterSeconds * 1000));
  }
  if (status === 429) {
    headers["x-ratelimit-remaining-requests"] = "0";
    headers["x-ratelimit-reset-requests"] = `${retryAfterSeconds ?? 0}s`;
  }
  return errorResponse(status, { message: shape.message, type: shape.type, param: null, code: shape.code }, requestId, headers);
}
