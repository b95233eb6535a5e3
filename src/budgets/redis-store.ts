import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { Redis, type Cluster, type RedisOptions } from "ioredis";
import { checkReservationId, checkReserve, checkSettle } from "./check-lines.js";
import { READ_LUA, RESERVE_LUA, SETTLE_LUA } from "./redis-lua.js";
import { RedisScript } from "./redis-script.js";
import type { BudgetStore, CounterLine, CounterState, ReserveResult, SettleOptions } from "./types.js";
import { WINDOW_GRACE_MS } from "./windows.js";

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

const reserveScript = new RedisScript(RESERVE_LUA);
const settleScript = new RedisScript(SETTLE_LUA);
const readScript = new RedisScript(READ_LUA);

/**
 * Counters shared by every instance. Each call is one Lua script, so a reservation is
 * checked and applied on all its lines atomically. All keys live under the hash tag
 * `{prefix}`, which keeps every call in one slot on Redis Cluster.
 */
export class RedisBudgetStore implements BudgetStore {
  readonly kind = "redis";
  private readonly client: Redis | Cluster;
  /** Only a client this store created is closed by `close()`. */
  private readonly owned: boolean;
  private readonly tag: string;
  private readonly clock: (() => number) | undefined;
  private readonly graceMs: number;
  /** Settled once the client first connected, or gave up waiting; later calls never wait. */
  private firstConnection: Promise<void> | undefined;

  constructor(client: Redis | Cluster | string, prefix = "tollgate", options: RedisBudgetStoreOptions = {}) {
    if (prefix.length === 0 || /[{}]/.test(prefix)) throw new RangeError(`Budget key prefix must be non-empty and without braces, got "${prefix}".`);
    if (typeof client === "string") {
      this.client = new Redis(client, { ...BUDGET_REDIS_OPTIONS, ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}) });
      // Failures reach callers through rejected commands; without a listener ioredis prints each reconnect error.
      this.client.on("error", () => {});
      this.owned = true;
    } else {
      this.client = client;
      this.owned = false;
    }
    this.tag = `{${prefix}}`;
    this.clock = options.clock;
    this.graceMs = options.graceMs ?? WINDOW_GRACE_MS;
  }

  async reserve(reservationId: string, lines: readonly CounterLine[], ttlMs: number): Promise<ReserveResult> {
    checkReservationId(reservationId);
    checkReserve(lines, ttlMs);
    if (lines.length === 0) return { ok: true };
    await this.connectedOnce();
    const args = [...this.head(), reservationId, ttlMs, ...lines.flatMap((line) => [line.limit, line.amount, ends(line.windowEndsAt)])];
    const [failed, remaining] = (await reserveScript.run(this.client, this.keys(lines.map((line) => line.counter)), args)) as [number, number];
    const line = lines[failed];
    return line ? { ok: false, line: failed, remaining, resetsAt: line.windowEndsAt } : { ok: true };
  }

  async settle(reservationId: string, actual: readonly Pick<CounterLine, "counter" | "amount" | "windowEndsAt">[], options: SettleOptions = {}): Promise<void> {
    checkReservationId(reservationId);
    checkSettle(actual);
    if (actual.length === 0) return;
    await this.connectedOnce();
    const args = [...this.head(), reservationId, options.ifHeld ? 1 : 0, ...actual.flatMap((line) => [line.amount, ends(line.windowEndsAt)])];
    await settleScript.run(this.client, this.keys(actual.map((line) => line.counter)), args);
  }

  async read(counters: readonly string[]): Promise<CounterState[]> {
    if (counters.length === 0) return [];
    await this.connectedOnce();
    const flat = (await readScript.run(this.client, this.keys(counters), this.head())) as number[];
    return counters.map((_, i) => ({ spent: flat[2 * i] ?? 0, reserved: flat[2 * i + 1] ?? 0 }));
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /**
   * A fail-fast client refuses commands until its first connection is up, which would turn
   * the first requests after a start into an outage; so the first calls wait for it, briefly.
   */
  private connectedOnce(): Promise<void> {
    if (!this.firstConnection) {
      if (this.client.status === "ready") this.firstConnection = Promise.resolve();
      else {
        const abort = new AbortController();
        this.firstConnection = Promise.race([once(this.client, "ready", { signal: abort.signal }), delay(STARTUP_WAIT_MS, undefined, { signal: abort.signal, ref: false })]).then(
          () => abort.abort(),
          () => abort.abort(),
        );
      }
    }
    return this.firstConnection;
  }

  /** ARGV[1..2] of every script: now (-1: the server's TIME) and the grace. */
  private head(): number[] {
    return [this.clock ? this.clock() : -1, this.graceMs];
  }

  private keys(counters: readonly string[]): string[] {
    return counters.flatMap((counter) => [`${this.tag}:s:${counter}`, `${this.tag}:r:${counter}`, `${this.tag}:e:${counter}`]);
  }
}

function ends(windowEndsAt: number): number {
  return windowEndsAt === Infinity ? -1 : windowEndsAt;
}
