/**
 * Tollgate's own response headers a browser page may read (Access-Control-Expose-Headers):
 * which target answered, after how many tries, what was dropped, the cache, the limits.
 */
const EXPOSED_HEADERS = [
  "x-request-id",
  "x-tollgate-target",
  "x-tollgate-attempts",
  "x-tollgate-dropped",
  "x-tollgate-cache",
  "x-tollgate-cache-similarity",
  "x-tollgate-repairs",
  "x-tollgate-tool-calls",
  "x-tollgate-token-count",
  "x-tollgate-original-request-id",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "retry-after",
].join(", ");

/** Whether the gateway's `server.cors.origins` lets this browser origin call it. */
export function gatewayAllowsOrigin(origins: readonly string[], origin: string): boolean {
  return origins.includes("*") || origins.includes(origin);
}

/** A request from a page the gateway itself served (the dashboard): not cross-origin at all. */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The headers that let a page on `origin` read an answer (the origin echoed, so that credentials work too). */
export function corsHeaders(origin: string): Record<string, string> {
  return { "access-control-allow-origin": origin, "access-control-expose-headers": EXPOSED_HEADERS, vary: "Origin" };
}
