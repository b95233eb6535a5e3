import { GatewayError, InvalidRequestError } from "./gateway-error.js";

/** The Idempotency-Key header is not a key Tollgate accepts (docs/caching.md#idempotency-key). */
export class InvalidIdempotencyKeyError extends InvalidRequestError {
  constructor(reason: string) {
    super("invalid_idempotency_key", `Invalid Idempotency-Key: ${reason}`, { param: "idempotency-key" });
  }
}

/** The key was already used for a request with another body (the IETF draft's 422). */
export class IdempotencyKeyReusedError extends GatewayError {
  constructor() {
    super("idempotency_key_reused", "This Idempotency-Key was already used with a different request body; send a new key for a new request.", {
      param: "idempotency-key",
    });
  }
}

/** The first request with this key is still running (the IETF draft's 409); retrying later gets its answer. */
export class IdempotencyInProgressError extends GatewayError {
  constructor(waitedMs: number) {
    const waited = waitedMs > 0 ? ` after waiting ${waitedMs} ms` : "";
    super("idempotency_in_progress", `A request with this Idempotency-Key is still in progress${waited}; retry shortly to receive its answer.`, {
      param: "idempotency-key",
      retryAfterSeconds: 1,
    });
  }
}

/** The store that holds idempotency keys cannot be reached: running anyway could bill twice. */
export class IdempotencyUnavailableError extends GatewayError {
  constructor(cause: unknown) {
    super("idempotency_store_unavailable", "The idempotency store is unavailable; retry shortly, or send the request without Idempotency-Key.", { cause, retryAfterSeconds: 1 });
  }
}
