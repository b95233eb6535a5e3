import type { ErrorCode } from "./codes.js";
import { GatewayError, type GatewayErrorOptions } from "./gateway-error.js";

/** Timeout phases, each with its own limit per route. */
export type TimeoutPhase = "connect" | "headers" | "first_token" | "idle" | "total";

/** Facts about one failed upstream attempt that the retry policy decides on. */
export interface UpstreamFailure {
  /** Worth another try on the same target (connection error, 408, 409, 429, 5xx, timeout). */
  retryable: boolean;
  /** Worth trying the next target of the route. */
  fallbackable: boolean;
  /** Upstream's own wait hint, in ms, from retry-after-ms / Retry-After. */
  retryAfterMs?: number;
}

/** The upstream answered with an error status. */
export class UpstreamHttpError extends GatewayError implements UpstreamFailure {
  readonly retryable: boolean;
  readonly fallbackable: boolean;

  constructor(
    readonly upstreamStatus: number,
    message: string,
    readonly retryAfterMs: number | undefined,
    upstream: { type?: string; code?: string | null; param?: string | null } = {},
  ) {
    const clientFault = upstreamStatus >= 400 && upstreamStatus < 500 && ![401, 403, 404, 408, 409, 429].includes(upstreamStatus);
    // A client-side mistake keeps its status and the provider's own error fields; anything
    // else is the gateway's upstream failing, which the client sees as 502/429.
    const code: ErrorCode = clientFault
      ? "upstream_rejected_request"
      : upstreamStatus === 429
        ? "upstream_rate_limited"
        : upstreamStatus === 401 || upstreamStatus === 403
          ? "upstream_auth_failed"
          : "upstream_error";
    const options: GatewayErrorOptions = { param: clientFault ? (upstream.param ?? null) : null, details: { upstreamStatus } };
    if (clientFault) {
      options.override = { status: upstreamStatus };
      if (upstream.code != null) options.relayedCode = upstream.code;
    }
    if (retryAfterMs !== undefined) options.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    super(code, message, options);
    this.retryable = upstreamStatus === 408 || upstreamStatus === 409 || upstreamStatus === 429 || upstreamStatus >= 500;
    this.fallbackable = !clientFault;
  }
}

/** The connection failed, was reset, or the body ended early. */
export class UpstreamConnectionError extends GatewayError implements UpstreamFailure {
  readonly retryable = true;
  readonly fallbackable = true;
  constructor(message: string, cause?: unknown) {
    super("upstream_connection_error", message, { cause });
  }
}

export class UpstreamTimeoutError extends GatewayError implements UpstreamFailure {
  readonly retryable = true;
  readonly fallbackable = true;
  constructor(
    readonly phase: TimeoutPhase,
    limitMs: number,
  ) {
    super("upstream_timeout", `The upstream exceeded the ${phase} timeout of ${limitMs} ms.`, { details: { phase, limitMs } });
  }
}

/** The upstream sent something that is not its documented wire format. */
export class UpstreamProtocolError extends GatewayError implements UpstreamFailure {
  readonly retryable = true;
  readonly fallbackable = true;
  constructor(message: string) {
    super("upstream_malformed_response", message);
  }
}

/**
 * No credentials for the upstream (none configured in the chain, a profile that does not
 * exist, a token endpoint that refused): the next target may have its own, a retry would not help.
 */
export class UpstreamCredentialsError extends GatewayError implements UpstreamFailure {
  readonly retryable = false;
  readonly fallbackable = true;
  constructor(provider: string, reason: string, cause?: unknown) {
    super("upstream_credentials_unavailable", `No usable credentials for provider "${provider}": ${reason}`, { cause });
  }
}

/** The target's circuit breaker is open: it failed too often to be worth waiting on. */
export class CircuitOpenError extends GatewayError implements UpstreamFailure {
  readonly retryable = false;
  readonly fallbackable = true;
  constructor(target: string, retryAfterMs: number) {
    super("circuit_open", `Target ${target} is unavailable (circuit open).`, { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });
  }
}

export interface AttemptSummary {
  target: string;
  attempt: number;
  code: ErrorCode;
  message: string;
}

/** Every target of a route failed before any byte reached the client. */
export class AllTargetsFailedError extends GatewayError {
  constructor(
    route: string,
    readonly attempts: AttemptSummary[],
    last: GatewayError | undefined,
  ) {
    const tried = attempts.map((a) => `${a.target}#${a.attempt}: ${a.code}`).join("; ");
    const every = (code: ErrorCode) => attempts.length > 0 && attempts.every((a) => a.code === code || a.code === "circuit_open");
    // The status tells a client what kind of wait makes sense: throttled, timed out, or down.
    const status =
      every("upstream_rate_limited") && attempts.some((a) => a.code === "upstream_rate_limited")
        ? 429
        : every("upstream_timeout") && attempts.some((a) => a.code === "upstream_timeout")
          ? 504
          : every("circuit_open")
            ? 503
            : 502;
    const options: GatewayErrorOptions = { details: { attempts }, override: { status, type: status === 429 ? "rate_limit_error" : "upstream_error" } };
    if (last?.retryAfterSeconds !== undefined) options.retryAfterSeconds = last.retryAfterSeconds;
    super("all_targets_failed", `All targets of model "${route}" failed (${tried}). Last error: ${last?.message ?? "none"}`, options);
  }
}

export function isUpstreamFailure(err: unknown): err is GatewayError & UpstreamFailure {
  return err instanceof GatewayError && typeof (err as Partial<UpstreamFailure>).retryable === "boolean";
}
