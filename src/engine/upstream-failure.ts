import { GatewayError } from "../errors/gateway-error.js";
import { UpstreamConnectionError, UpstreamTimeoutError } from "../errors/upstream-errors.js";
import type { Timeouts } from "../config/resolve.js";
import { classifyTransportError } from "../transport/http-transport.js";
import type { AttemptTimer } from "./attempt-timer.js";

/** What an I/O failure of an attempt means: the abort's own reason, or a typed upstream error. */
export function failureOf(err: unknown, timer: AttemptTimer, timeouts: Timeouts): GatewayError {
  if (timer.signal.aborted) return timer.signal.reason as GatewayError;
  if (err instanceof GatewayError) return err;
  switch (classifyTransportError(err)) {
    case "connect_timeout":
      return new UpstreamTimeoutError("connect", timeouts.connectMs);
    case "headers_timeout":
      return new UpstreamTimeoutError("headers", timeouts.headersMs);
    default:
      return new UpstreamConnectionError(`Upstream connection failed: ${(err as Error)?.message ?? String(err)}`, err);
  }
}
