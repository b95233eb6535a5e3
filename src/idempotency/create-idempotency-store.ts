import type { ResolvedConfig } from "../config/resolve.js";
import type { Sql } from "../store/sql.js";
import { MemoryIdempotencyStore } from "./memory-store.js";
import { RedisIdempotencyStore } from "./redis-store.js";
import { SqlIdempotencyStore } from "./sql-store.js";
import type { IdempotencyStore } from "./types.js";

/** The configured store: Redis (many instances), the gateway's database, or this process's memory. */
export function createIdempotencyStore(config: ResolvedConfig, sql: () => Promise<Sql>): IdempotencyStore {
  const kind = config.idempotency.store;
  if (kind === "redis") return new RedisIdempotencyStore(config.redisUrl!, config.redisKeyPrefix);
  if (kind === "database") return new SqlIdempotencyStore(sql);
  return new MemoryIdempotencyStore();
}
