import type { RetryPolicy } from "../config/resolve.js";

/**
 * The wait an upstream asked for, from `retry-after-ms` (OpenAI) or `Retry-After`
 * (seconds or an HTTP date). Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const ms = first(headers["retry-after-ms"]);
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const value = first(headers["retry-after"]);
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Delay before retry number `retry` (0-based): the upstream's own hint when it gave one,
 * else exponential backoff with full jitter. Null means "do not wait that long: move on".
 */
export function retryDelay(retry: number, retryAfterMs: number | undefined, policy: RetryPolicy, random = Math.random): number | null {
  if (retryAfterMs !== undefined) return retryAfterMs > policy.maxRetryAfterMs ? null : retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}
