/** What a request's `Cache-Control` header lets the gateway's cache do for it. */
export interface CacheDirective {
  /** May be answered from the cache. */
  read: boolean;
  /** Its answer may be stored. */
  write: boolean;
  /** `max-age=N`: only an entry at most this old may answer it. */
  maxAgeMs?: number;
}

/**
 * `no-store`: neither read nor written. `no-cache` (or `max-age=0`): not answered from
 * the cache, but its fresh answer replaces the entry. `max-age=N`: entries older than N
 * seconds are not served. Other directives are ignored.
 */
export function cacheDirective(header: string | undefined): CacheDirective {
  const directive: CacheDirective = { read: true, write: true };
  for (const part of (header ?? "").split(",")) {
    const [name = "", value] = part
      .trim()
      .toLowerCase()
      .split("=", 2)
      .map((s) => s.trim());
    if (name === "no-store") {
      directive.read = false;
      directive.write = false;
    } else if (name === "no-cache") directive.read = false;
    else if (name === "max-age" && value !== undefined && /^\d+$/.test(value)) {
      const seconds = Number(value);
      if (seconds === 0) directive.read = false;
      else directive.maxAgeMs = seconds * 1000;
    }
  }
  return directive;
}
