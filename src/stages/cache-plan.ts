import type { RouteCacheConfig } from "../config/schema.js";
import type { CacheDirective } from "../cache/cache-control.js";
import type { Embedded } from "./cache/embed-text.js";

/** What the cache decided for one request, shared by its two stages (cache-lookup, cache-semantic). */
export interface CachePlan {
  config: RouteCacheConfig;
  directive: CacheDirective;
  tenant: string;
  key: string;
  /** Set once the semantic stage embedded the last user turn: indexed with the answer. */
  semantic?: { partition: string; embedded: Embedded; ttlMs: number };
}
