import { GatewayError } from "../../errors/gateway-error.js";
import type { UpstreamFailure } from "../../errors/upstream-errors.js";

const TRANSIENT = new Set(["overloaded_error", "api_error", "rate_limit_error", "timeout_error"]);

/**
 * Anthropic sent an `error` event inside a stream (typically `overloaded_error` after the
 * answer began). Before the first byte reached the client it is retried like a 5xx; after
 * it, the client's stream ends with an error frame that keeps the provider's message.
 */
export class UpstreamStreamError extends GatewayError implements UpstreamFailure {
  readonly retryable: boolean;
  readonly fallbackable = true;

  constructor(
    readonly upstreamType: string,
    upstreamMessage: string,
  ) {
    const overloaded = upstreamType === "overloaded_error";
    super(overloaded ? "upstream_overloaded" : "upstream_stream_error", `Upstream reported an error mid-stream (${upstreamType}): ${upstreamMessage}`, {
      details: { upstreamType },
    });
    this.retryable = TRANSIENT.has(upstreamType);
  }
}
