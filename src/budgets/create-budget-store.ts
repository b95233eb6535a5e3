import type { ResolvedConfig } from "../config/resolve.js";
import { FailoverBudgetStore } from "./failover-store.js";
import { MemoryBudgetStore } from "./memory-store.js";
import { RedisLeaseStore } from "./redis-lease-store.js";
import type { BudgetStore } from "./types.js";

/**
 * In-memory counters for one instance; Redis (with the configured failure mode) when shared, spent
 * from leases. `owner` names this gateway across restarts (its journal's), so that a restart settles
 * and releases what the previous process left in Redis.
 */
export function createBudgetStore(config: ResolvedConfig, log: (message: string) => void, owner?: string): BudgetStore {
  if (!config.redisUrl) return new MemoryBudgetStore();
  const timeoutMs = config.budgets.storeTimeoutMs;
  const redis = new RedisLeaseStore(config.redisUrl, config.redisKeyPrefix, { commandTimeoutMs: timeoutMs, ...(owner ? { owner } : {}) });
  return new FailoverBudgetStore(redis, config.budgets.onStoreFailure, new MemoryBudgetStore(), log, { timeoutMs });
}
