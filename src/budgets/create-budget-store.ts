import type { ResolvedConfig } from "../config/resolve.js";
import { FailoverBudgetStore } from "./failover-store.js";
import { MemoryBudgetStore } from "./memory-store.js";
import { RedisBudgetStore } from "./redis-store.js";
import type { BudgetStore } from "./types.js";

/** In-memory counters for one instance; Redis (with the configured failure mode) when shared. */
export function createBudgetStore(config: ResolvedConfig, log: (message: string) => void): BudgetStore {
  if (!config.redisUrl) return new MemoryBudgetStore();
  const timeoutMs = config.budgets.storeTimeoutMs;
  const redis = new RedisBudgetStore(config.redisUrl, config.redisKeyPrefix, { commandTimeoutMs: timeoutMs });
  return new FailoverBudgetStore(redis, config.budgets.onStoreFailure, new MemoryBudgetStore(), log, { timeoutMs });
}
