import type { Redactor } from "../errors/redact.js";
import type { GatewayLogger } from "./logger.js";
import type { GatewayMetrics } from "./metrics.js";

/** Paths are the client's text: a long one is cut in the log line. */
const MAX_PATH_CHARS = 200;

/** What served a request that the pipeline did not (or not yet) meter. */
export type HttpHandler = "api" | "gemini" | "admin" | "dashboard" | "metrics" | "health" | "preflight" | "unmatched";

export interface HttpExchange {
  handler: HttpHandler;
  method: string;
  /** Without the query (a Gemini `?key=` never reaches a log). */
  path: string;
  status: number;
  latencyMs: number;
  /** True when the pipeline metered it: its own line was written, so this one is not. */
  metered: boolean;
}

/**
 * Every HTTP request leaves one metric sample (tollgate_http_requests_total), and one log line:
 * the pipeline's for API requests it ran, else this one (an unknown path, a wrong method, a
 * body that could not be read, the admin API, a preflight).
 */
export function observeHttp(services: { logger: GatewayLogger; metrics?: GatewayMetrics; redactor: Redactor }, exchange: HttpExchange): void {
  services.metrics?.observeHttp(exchange.handler, exchange.method, exchange.status);
  if (exchange.metered) return;
  const level = exchange.status >= 500 ? "warn" : "info";
  if (services.logger.isLevelEnabled?.(level) === false) return;
  services.logger[level](
    {
      component: "http",
      handler: exchange.handler,
      method: exchange.method.slice(0, 16),
      path: services.redactor.redact(exchange.path.slice(0, MAX_PATH_CHARS)),
      status: exchange.status,
      latency_ms: Math.round(exchange.latencyMs * 10) / 10,
    },
    "request",
  );
}
