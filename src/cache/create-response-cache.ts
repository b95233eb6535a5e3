import type { ResolvedConfig } from "../config/resolve.js";
import { ConfigError } from "../config/resolve.js";
import type { Provider } from "../providers/provider.js";
import type { Sql } from "../store/sql.js";
import type { CacheStore } from "./cache-store.js";
import { MemoryCacheStore } from "./memory-store.js";
import { RedisCacheStore } from "./redis-store.js";
import { ResponseCache } from "./response-cache.js";
import { SqlCacheStore } from "./sql-store.js";
import { SqliteVecIndex } from "./sqlite-vec-index.js";

function storeFor(config: ResolvedConfig, sql: () => Promise<Sql>): CacheStore {
  switch (config.cache.store) {
    case "memory":
      return new MemoryCacheStore(config.cache.maxBytes);
    case "database":
      return new SqlCacheStore(sql);
    case "redis":
      return new RedisCacheStore(config.redisUrl!, config.redisKeyPrefix, { commandTimeoutMs: config.cache.storeTimeoutMs });
  }
}

/** Semantic caches embed through routes whose every target must be able to embed. */
function checkEmbeddingRoutes(config: ResolvedConfig, providers: ReadonlyMap<string, Provider>): void {
  const issues = Object.values(config.models).flatMap((route) => {
    const name = route.cache?.semantic?.embeddingRoute;
    if (name === undefined) return [];
    const unable = config.models[name]!.targets.filter((t) => !providers.get(t.provider)?.adapter.buildEmbeddingRequest);
    return unable.length === 0
      ? []
      : [{ path: `routes.${route.name}.cache.semantic.embeddingRoute`, message: `Route "${name}" cannot embed: ${unable.map((t) => `${t.provider}/${t.model}`).join(", ")} do not serve embeddings.` }];
  });
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * The gateway's response cache, or undefined when no route caches. Entries go to the
 * configured store; vectors (only when a route has a semantic cache) to sqlite-vec.
 */
export function createResponseCache(
  config: ResolvedConfig,
  providers: ReadonlyMap<string, Provider>,
  sql: () => Promise<Sql>,
  log: (message: string) => void,
  clock?: () => number,
): ResponseCache | undefined {
  const routes = Object.values(config.models);
  if (!routes.some((r) => r.cache?.exact || r.cache?.semantic)) return undefined;
  checkEmbeddingRoutes(config, providers);
  const vectors = routes.some((r) => r.cache?.semantic) ? new SqliteVecIndex(config.cache.vectorPath) : undefined;
  const { scope, maxEntryBytes, storeTimeoutMs, purgeIntervalMs } = config.cache;
  return new ResponseCache(storeFor(config, sql), vectors, { scope, maxEntryBytes, storeTimeoutMs, purgeIntervalMs, log, ...(clock ? { clock } : {}) });
}
