import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { Redis, type Cluster, type RedisOptions } from "ioredis";

/**
 * Fail fast instead of queueing while disconnected, so a request waits at most one
 * command timeout before the failover store decides (fail closed or enforce locally).
 * No command is retried or re-sent after a reconnect: by then the caller has given up on
 * it, and a reservation landing minutes later would hold capacity nobody uses until its TTL.
 */
export const BUDGET_REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: false,
  commandTimeout: 500,
};

/** What the Redis budget stores take besides a client and a key prefix. */
export interface RedisBudgetStoreOptions {
  /** Longest wait for one command when the store opens its own client (default 500 ms). */
  commandTimeoutMs?: number;
  /**
   * Where "now" comes from for reservation expiry and dropping ended windows. By default
   * the scripts read the Redis server's TIME: one clock for every instance, so a fast
   * clock on one instance cannot expire the others' reservations early. Tests inject one.
   */
  clock?: () => number;
  /** How long a counter outlives its window (see `WINDOW_GRACE_MS`). */
  graceMs?: number;
}

/** How long the first calls wait for the first connection before failing like any other. */
const STARTUP_WAIT_MS = 500;

/** A client of its own for a store given a URL, failing fast (`BUDGET_REDIS_OPTIONS`). */
export function budgetClient(url: string, commandTimeoutMs: number | undefined): Redis {
  const client = new Redis(url, { ...BUDGET_REDIS_OPTIONS, ...(commandTimeoutMs ? { commandTimeout: commandTimeoutMs } : {}) });
  // Failures reach callers through rejected commands; without a listener ioredis prints each reconnect error.
  client.on("error", () => {});
  return client;
}

/**
 * A fail-fast client refuses commands until its first connection is up, which would turn
 * the first requests after a start into an outage; so the first calls wait for it, briefly.
 */
export function firstConnection(client: Redis | Cluster): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  const abort = new AbortController();
  return Promise.race([once(client, "ready", { signal: abort.signal }), delay(STARTUP_WAIT_MS, undefined, { signal: abort.signal, ref: false })]).then(
    () => abort.abort(),
    () => abort.abort(),
  );
}
