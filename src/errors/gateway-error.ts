import { type CodeWithStatus, ERRORS, type ErrorCode, type ErrorType } from "./codes.js";

/**
 * One error hierarchy for the whole gateway. Every error a client can see is a
 * GatewayError with a registered `code` (src/errors/codes.ts); `renderError` turns it
 * into the wire format.
 */
export interface GatewayErrorOptions {
  param?: string | null;
  cause?: unknown;
  /** Seconds a client should wait before trying again (rendered as Retry-After). */
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
  /** Fields added to the rendered error object for the client (e.g. a structured output's violations). */
  exposed?: Record<string, unknown>;
  /**
   * Only where the registry cannot know the status: an upstream's own 4xx relayed, or the
   * kind of failure every target met. Keep these rare and explicit.
   */
  override?: { status: number; type?: ErrorType };
  /** An upstream's own code, rendered in place of `code` when its rejection is relayed (the ledger keeps `code`). */
  relayedCode?: string;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly exposed: Record<string, unknown> | undefined;
  readonly relayedCode: string | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.override?.status ?? ERRORS[code].status;
    this.type = options.override?.type ?? ERRORS[code].type;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
    this.exposed = options.exposed;
    this.relayedCode = options.relayedCode;
  }
}

export class InvalidRequestError extends GatewayError {
  constructor(code: CodeWithStatus<400>, message: string, options?: GatewayErrorOptions) {
    super(code, message, options);
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super("request_too_large", `Request body exceeds the limit of ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(contentType: string) {
    super("unsupported_media_type", `Expected Content-Type application/json, got "${contentType}".`);
  }
}

export class AuthenticationError extends GatewayError {
  constructor(code: CodeWithStatus<401>, message: string) {
    super(code, message);
  }
}

export class PermissionDeniedError extends GatewayError {
  constructor(code: CodeWithStatus<403>, message: string, options?: GatewayErrorOptions) {
    super(code, message, options);
  }
}

export class NotFoundError extends GatewayError {
  constructor(code: CodeWithStatus<404>, message: string, options?: GatewayErrorOptions) {
    super(code, message, options);
  }
}

export class MethodNotAllowedError extends GatewayError {
  constructor(method: string, path: string) {
    super("method_not_allowed", `${method} is not allowed on ${path}.`);
  }
}

export class RequestTimeoutError extends GatewayError {
  constructor(limitMs: number) {
    super("request_timeout", `The request body did not arrive within ${limitMs} ms.`);
  }
}

/** Too many request bodies are being received at once: the client should retry shortly. */
export class ServerBusyError extends GatewayError {
  constructor() {
    super("server_busy", "The gateway is receiving too many request bodies at once; retry shortly.", { retryAfterSeconds: 1 });
  }
}

/** The gateway is draining for shutdown and takes no new work. */
export class ShuttingDownError extends GatewayError {
  constructor() {
    super("server_shutting_down", "The gateway is shutting down; retry on another instance.");
  }
}

export class InternalError extends GatewayError {
  constructor(cause: unknown) {
    super("internal_error", "The gateway failed to handle this request.", { cause });
  }
}
