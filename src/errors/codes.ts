/** The OpenAI-style error types; the other APIs' error shapes map from them. */
export type ErrorType = "invalid_request_error" | "authentication_error" | "permission_error" | "not_found_error" | "rate_limit_error" | "upstream_error" | "timeout_error" | "server_error";

interface ErrorSpec {
  /** The HTTP status a client gets (a few errors override it: see GatewayErrorOptions.override). */
  status: number;
  /** The OpenAI-style `type` of the rendered error (the other APIs' shapes map from it). */
  type: ErrorType;
  /** One line for docs/api.md's table (src/errors/codes.test.ts keeps the two equal). */
  doc: string;
}

/**
 * Every error code Tollgate emits: in JSON errors, in-stream error events, the ledger's
 * `errorCode` and the admin API. Keyed by code; the key is the wire value.
 */
export const ERRORS = {
  // 400
  invalid_json: { status: 400, type: "invalid_request_error", doc: "The body is empty, not valid JSON, or was cut before it ended." },
  json_too_deep: { status: 400, type: "invalid_request_error", doc: "JSON nested more than 64 levels anywhere in the body; `param` names the field." },
  invalid_request: { status: 400, type: "invalid_request_error", doc: "A field is missing or has a bad value; `param` names it (admin API too)." },
  unsupported_parameter: { status: 400, type: "invalid_request_error", doc: "A parameter the target cannot honour (e.g. `n` > 1 on Anthropic or Bedrock)." },
  unsupported_tool_type: { status: 400, type: "invalid_request_error", doc: "A built-in tool only its own provider runs, sent to a route with other targets." },
  unsupported_content: { status: 400, type: "invalid_request_error", doc: "A content part the target cannot take (a kind, an image format or URL)." },
  unsupported_input: { status: 400, type: "invalid_request_error", doc: "An embeddings input the target cannot take (token arrays, several texts for Titan)." },
  invalid_tool_arguments: { status: 400, type: "invalid_request_error", doc: "A tool call's arguments are not a JSON object, which the target requires." },
  max_tokens_exceeded: { status: 400, type: "invalid_request_error", doc: "`max_tokens` is over the route's `maxOutputTokens`." },
  context_length_exceeded: { status: 400, type: "invalid_request_error", doc: "Prompt plus `max_tokens` is over the route's `contextWindow`." },
  embeddings_not_supported: { status: 400, type: "invalid_request_error", doc: "The model's route or provider does not serve embeddings." },
  invalid_response_schema: { status: 400, type: "invalid_request_error", doc: "The request's JSON Schema cannot be used (docs/structured-output.md)." },
  system_prompt_pinned: { status: 400, type: "invalid_request_error", doc: "The route pins the system prompt and the request sent its own (docs/structured-output.md)." },
  invalid_idempotency_key: { status: 400, type: "invalid_request_error", doc: "The Idempotency-Key header is not a key Tollgate accepts (docs/caching.md#idempotency-key)." },
  tool_name_conflict: { status: 400, type: "invalid_request_error", doc: "The client sent a tool named like one of the route's server tools (docs/tools.md)." },
  invalid_tags: { status: 400, type: "invalid_request_error", doc: "The `x-tollgate-tags` header has too many tags or a malformed one." },
  upstream_rejected_request: {
    status: 400,
    type: "invalid_request_error",
    doc: "The upstream refused the request itself: its 4xx (other than 401/403/404/408/409/429) keeps its status, and its own code and param are relayed in place of this one when it sent them.",
  },
  // 401, 403
  missing_api_key: { status: 401, type: "authentication_error", doc: "No key was sent (gateway or admin API), or no dashboard session." },
  invalid_api_key: { status: 401, type: "authentication_error", doc: "The key is unknown, revoked or expired, or its team or user is disabled." },
  model_not_allowed: { status: 403, type: "permission_error", doc: "The key may not use this model." },
  origin_not_allowed: { status: 403, type: "permission_error", doc: "A browser request from an origin neither `server.cors.origins` nor the key allows ([CORS](#cors))." },
  forbidden: { status: 403, type: "permission_error", doc: "Admin API: the caller's role may not do this, or the record is another team's or user's." },
  csrf_failed: { status: 403, type: "permission_error", doc: "Admin API: a session's change without its `x-csrf-token` (or from another origin)." },
  // 404, 405
  not_found: { status: 404, type: "not_found_error", doc: "No such path (gateway, admin API, SSO)." },
  model_not_found: { status: 404, type: "not_found_error", doc: "No route or catalogue model by this name." },
  request_not_found: { status: 404, type: "not_found_error", doc: "Admin API: no such request in the ledger (`/admin/requests/:id`)." },
  key_not_found: { status: 404, type: "not_found_error", doc: "Admin API: no such key." },
  team_not_found: { status: 404, type: "not_found_error", doc: "Admin API: no such team." },
  user_not_found: { status: 404, type: "not_found_error", doc: "Admin API: no such user." },
  alert_rule_not_found: { status: 404, type: "not_found_error", doc: "Admin API: no such stored alert rule." },
  method_not_allowed: { status: 405, type: "invalid_request_error", doc: "The path exists, not with this method." },
  // 408, 409, 413, 415, 422
  request_timeout: { status: 408, type: "invalid_request_error", doc: "The body did not arrive whole within `server.bodyTimeoutMs`." },
  idempotency_in_progress: { status: 409, type: "invalid_request_error", doc: "The first request with this Idempotency-Key is still running (`Retry-After: 1`)." },
  team_exists: { status: 409, type: "invalid_request_error", doc: "Admin API: a team with this id already exists." },
  user_exists: { status: 409, type: "invalid_request_error", doc: "Admin API: a user with this id already exists." },
  alert_rule_exists: { status: 409, type: "invalid_request_error", doc: "Admin API: an alert rule with this id already exists." },
  request_too_large: { status: 413, type: "invalid_request_error", doc: "The body is over `server.bodyLimitBytes`." },
  unsupported_media_type: { status: 415, type: "invalid_request_error", doc: "The body is not `application/json`." },
  idempotency_key_reused: { status: 422, type: "invalid_request_error", doc: "The Idempotency-Key was used before with another body." },
  structured_output_invalid: {
    status: 422,
    type: "upstream_error",
    doc: "No answer matched the request's JSON Schema; the error also carries `violations` and `answers` (docs/structured-output.md).",
  },
  // 429, 499
  rate_limit_exceeded: { status: 429, type: "rate_limit_error", doc: "A per-minute rate limit is used up (docs/accounting.md); `Retry-After` says when it resets." },
  budget_exceeded: { status: 429, type: "rate_limit_error", doc: "An hourly, daily, monthly or total budget is used up (docs/accounting.md)." },
  upstream_rate_limited: { status: 429, type: "rate_limit_error", doc: "The upstream throttled the request (its 429, or Bedrock's throttlingException)." },
  client_closed_request: { status: 499, type: "invalid_request_error", doc: "Ledger only: the client left before the answer was complete." },
  // 500
  internal_error: { status: 500, type: "server_error", doc: "A fault in the gateway itself." },
  gateway_interrupted: { status: 500, type: "server_error", doc: "Ledger only: the gateway stopped while the request was upstream; recorded at the next start." },
  // 502
  upstream_error: { status: 502, type: "upstream_error", doc: "The upstream failed (a 5xx, a 404, 408 or 409, or a failure it reported inside a 200)." },
  upstream_auth_failed: { status: 502, type: "upstream_error", doc: "The upstream refused the gateway's credentials (its 401 or 403)." },
  upstream_credentials_unavailable: { status: 502, type: "upstream_error", doc: "No usable credentials for the provider (none configured, a missing profile, a token endpoint refused)." },
  upstream_connection_error: { status: 502, type: "upstream_error", doc: "The connection to the upstream failed, was reset, or its body ended early." },
  upstream_malformed_response: { status: 502, type: "upstream_error", doc: "The upstream sent something that is not its documented wire format." },
  upstream_stream_error: { status: 502, type: "upstream_error", doc: "The upstream reported an error inside its stream." },
  all_targets_failed: {
    status: 502,
    type: "upstream_error",
    doc: "Every target of the route failed; 429 (`rate_limit_error`) when all were throttled, 504 when all timed out, 503 when all circuits were open.",
  },
  tool_server_unavailable: { status: 502, type: "upstream_error", doc: "An MCP server the route's tools come from could not be reached or listed (docs/tools.md)." },
  tool_loop_exhausted: { status: 502, type: "upstream_error", doc: "The model kept calling tools past the route's `toolLoop.maxSteps` (docs/tools.md)." },
  // 503, 504
  upstream_overloaded: { status: 503, type: "upstream_error", doc: "The upstream reported it is overloaded (Anthropic's `overloaded_error` mid-stream)." },
  circuit_open: { status: 503, type: "upstream_error", doc: "The target failed too often recently; its circuit breaker is open." },
  server_busy: { status: 503, type: "server_error", doc: "Request bodies being received passed `server.bodyBytesInFlight` (`Retry-After: 1`)." },
  server_shutting_down: { status: 503, type: "server_error", doc: "The gateway is draining for shutdown." },
  idempotency_store_unavailable: { status: 503, type: "server_error", doc: "The idempotency store cannot be reached (`Retry-After: 1`)." },
  budget_store_unavailable: { status: 503, type: "server_error", doc: "The budget store cannot be reached, so budgets cannot be checked (`Retry-After: 1`)." },
  upstream_timeout: { status: 504, type: "timeout_error", doc: "The upstream passed a timeout (connect, headers, first token, idle or total)." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes registered with this status: what a status-named error class accepts. */
export type CodeWithStatus<S extends number> = { [C in ErrorCode]: (typeof ERRORS)[C]["status"] extends S ? C : never }[ErrorCode];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}
