import { GatewayError } from "../../errors/gateway-error.js";
import type { UpstreamFailure } from "../../errors/upstream-errors.js";

/** Exceptions Bedrock sends inside a stream that another try may not meet. */
const TRANSIENT = new Set(["throttlingException", "serviceUnavailableException", "internalServerException", "modelStreamErrorException", "modelTimeoutException"]);

/**
 * An exception message inside a Bedrock event stream (modelStreamErrorException,
 * internalServerException, throttlingException, ...). Before the first byte reached the
 * client the transient ones are retried; after it, the client's stream ends with an error
 * frame that keeps Bedrock's message.
 */
export class BedrockStreamError extends GatewayError implements UpstreamFailure {
  readonly retryable: boolean;
  readonly fallbackable = true;

  constructor(
    readonly exception: string,
    upstreamMessage: string,
  ) {
    const throttled = exception === "throttlingException";
    super(throttled ? "upstream_rate_limited" : "upstream_stream_error", `Upstream reported an error mid-stream (${exception}): ${upstreamMessage}`, {
      details: { upstreamType: exception },
    });
    this.retryable = TRANSIENT.has(exception);
  }
}

/** The exception's message from its payload (`{"message": ...}`, or `Message`). */
export function exceptionMessage(data: string): string {
  try {
    const body = JSON.parse(data) as { message?: unknown; Message?: unknown };
    const text = body.message ?? body.Message;
    if (typeof text === "string") return text;
  } catch {
    // Not JSON: quoted below.
  }
  return data.slice(0, 200);
}
