/**
 * One error hierarchy for the whole gateway. Every error a client can see is a
 * GatewayError with a stable `code`; `renderError` turns it into the wire format.
 */
export type ErrorType = "invalid_request_error" | "authentication_error" | "permission_error" | "not_found_error" | "rate_limit_error" | "upstream_error" | "timeout_error" | "server_error";

export interface GatewayErrorOptions {
  param?: string | null;
  cause?: unknown;
  /** Seconds a client should wait before trying again (rendered as Retry-After). */
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
  /** Fields added to the rendered error object for the client (e.g. a structured output's violations). */
  exposed?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly exposed: Record<string, unknown> | undefined;

  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
    this.exposed = options.exposed;
  }
}

export class InvalidRequestError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super(400, "invalid_request_error", code, message, options);
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(413, "invalid_request_error", "request_too_large", `Request body exceeds the limit of ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(contentType: string) {
    super(415, "invalid_request_error", "unsupported_media_type", `Expected Content-Type application/json, got "${contentType}".`);
  }
}

export class AuthenticationError extends GatewayError {
  constructor(code: "missing_api_key" | "invalid_api_key", message: string) {
    super(401, "authentication_error", code, message);
  }
}

export class PermissionDeniedError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super(403, "permission_error", code, message, options);
  }
}

export class NotFoundError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super(404, "not_found_error", code, message, options);
  }
}

export class MethodNotAllowedError extends GatewayError {
  constructor(method: string, path: string) {
    super(405, "invalid_request_error", "method_not_allowed", `${method} is not allowed on ${path}.`);
  }
}

export class RequestTimeoutError extends GatewayError {
  constructor(limitMs: number) {
    super(408, "invalid_request_error", "request_timeout", `The request body did not arrive within ${limitMs} ms.`);
  }
}

/** Too many request bodies are being received at once: the client should retry shortly. */
export class ServerBusyError extends GatewayError {
  constructor() {
    super(503, "server_error", "server_busy", "The gateway is receiving too many request bodies at once; retry shortly.", { retryAfterSeconds: 1 });
  }
}

/** The gateway is draining for shutdown and takes no new work. */
export class ShuttingDownError extends GatewayError {
  constructor() {
    super(503, "server_error", "server_shutting_down", "The gateway is shutting down; retry on another instance.");
  }
}

export class InternalError extends GatewayError {
  constructor(cause: unknown) {
    super(500, "server_error", "internal_error", "The gateway failed to handle this request.", { cause });
  }
}
