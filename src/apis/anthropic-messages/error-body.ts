import type { RenderedError } from "../../errors/render.js";

/** Anthropic's error type names (https://docs.claude.com/en/api/errors). */
type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string } & Record<string, unknown>;
}

/** The gateway's error type and status as the Anthropic type a Messages client expects. */
function anthropicErrorType(error: RenderedError): AnthropicErrorType {
  const { type, code } = error.body.error;
  if (error.status === 413) return "request_too_large";
  switch (type) {
    case "invalid_request_error":
    case "authentication_error":
    case "permission_error":
    case "not_found_error":
    case "rate_limit_error":
      return type;
    case "timeout_error":
      return "timeout_error";
  }
  // Draining, open circuits and an upstream's own overload: come back later.
  if (code === "upstream_overloaded" || code === "server_shutting_down" || code === "circuit_open" || error.status === 503 || error.status === 529) return "overloaded_error";
  if (error.status === 429) return "rate_limit_error";
  if (error.status === 504) return "timeout_error";
  return "api_error";
}

/** An error in Anthropic's shape: the body of an error response, and the data of an in-stream `error` event. */
export function toAnthropicErrorBody(error: RenderedError): AnthropicErrorBody {
  const { message, type: _type, code: _code, param: _param, ...exposed } = error.body.error;
  return { type: "error", error: { ...exposed, type: anthropicErrorType(error), message } };
}
