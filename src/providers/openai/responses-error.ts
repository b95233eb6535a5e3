import { GatewayError } from "../../errors/gateway-error.js";
import type { UpstreamFailure } from "../../errors/upstream-errors.js";

/** Codes of a failed response that another try on the same target may get past. */
const TRANSIENT_CODES = new Set(["server_error", "rate_limit_exceeded"]);

/**
 * The Responses API reported a failure inside a 200 answer: an `error` event, a
 * `response.failed` event, or a non-streamed body whose status is "failed". A 502 like
 * a malformed answer; worth another target always, another try only when transient.
 */
export class UpstreamReportedError extends GatewayError implements UpstreamFailure {
  readonly retryable: boolean;
  readonly fallbackable = true;

  constructor(
    message: string,
    readonly upstreamCode: string | undefined,
  ) {
    super("upstream_error", `Upstream reported an error: ${message}`, upstreamCode ? { details: { upstreamCode } } : {});
    this.retryable = upstreamCode === undefined || TRANSIENT_CODES.has(upstreamCode);
  }
}

interface WireError {
  message?: unknown;
  code?: unknown;
  type?: unknown;
}

/** Builds the error from an `error` event payload (fields at the top level or under `error`) or a response's `error` object. */
export function reportedError(source: unknown, fallback: string): UpstreamReportedError {
  const top = (source && typeof source === "object" ? source : {}) as WireError & { error?: unknown };
  const nested = (top.error && typeof top.error === "object" ? top.error : {}) as WireError;
  const message = typeof nested.message === "string" ? nested.message : typeof top.message === "string" ? top.message : fallback;
  const code = typeof nested.code === "string" ? nested.code : typeof top.code === "string" ? top.code : typeof nested.type === "string" ? nested.type : undefined;
  return new UpstreamReportedError(message, code);
}
