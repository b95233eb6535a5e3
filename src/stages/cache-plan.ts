import type { RouteCacheConfig } from "../config/schema.js";
import type { CacheDirective } from "../cache/cache-control.js";
import type { AttemptRecord } from "../spec/request-record.js";

/** What the cache decided for one request, shared by its two stages (cache-lookup, cache-semantic). */
export interface CachePlan {
  config: RouteCacheConfig;
  directive: CacheDirective;
  tenant: string;
  key: string;
  /** Set once the semantic stage embedded the last user turn: indexed with the answer. */
  semantic?: { partition: string; embedded: Embedded; ttlMs: number };
}

export interface Embedded {
  vector: number[];
  /** The request's attempt that produced it, metered (its cost is in the request's). */
  attempt: AttemptRecord;
}
