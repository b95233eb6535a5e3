import type { Cluster, Redis } from "ioredis";
import { checkReservationId, checkReserve, checkSettle } from "../check-lines.js";
import { budgetClient, firstConnection, type RedisBudgetStoreOptions } from "../redis-client.js";
import { READ_LUA } from "../redis-lua.js";
import { MAX_BATCH, RedisScript } from "../redis-script.js";
import type { BudgetStore, CounterLine, CounterState, ReserveResult, SettleOptions } from "../types.js";
import { WINDOW_GRACE_MS } from "../windows.js";
import { APPLY_LUA } from "./redis-apply-lua.js";

const applyScript = new RedisScript(APPLY_LUA);
const readScript = new RedisScript(READ_LUA);

type Settlement = Pick<CounterLine, "counter" | "amount" | "windowEndsAt">;

/** A reservation or settlement waiting for the next script, with its caller's promise. */
type Operation =
  | { kind: "reserve"; id: string; lines: readonly CounterLine[]; ttlMs: number; resolve: (result: ReserveResult) => void; reject: (error: unknown) => void }
  | { kind: "settle"; id: string; lines: readonly Settlement[]; ifHeld: boolean; resolve: () => void; reject: (error: unknown) => void };

/**
 * The Redis budget store of the releases before leases (`RedisLeaseStore` replaced it), kept
 * as the reference it was: tests run it beside the lease store (the same contract, and both
 * kinds of instance sharing counters during a rolling deploy), and `bench/budget-cost.mjs`
 * compares the two. Counters shared by every instance. The reservations and settlements called in one turn of
 * the event loop go to Redis together, as one Lua script that applies them in order, so a
 * reservation is checked and applied on all its lines atomically while a busy gateway pays
 * one round trip for many requests. A call resolves once Redis has applied it. All keys live
 * under the hash tag `{prefix}`, which keeps every call in one slot on Redis Cluster.
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
  private connection: Promise<void> | undefined;
  private queue: Operation[] = [];
  /** Scripts sent and not answered yet; `close()` waits for them. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(client: Redis | Cluster | string, prefix = "tollgate", options: RedisBudgetStoreOptions = {}) {
    if (prefix.length === 0 || /[{}]/.test(prefix)) throw new RangeError(`Budget key prefix must be non-empty and without braces, got "${prefix}".`);
    this.owned = typeof client === "string";
    this.client = typeof client === "string" ? budgetClient(client, options.commandTimeoutMs) : client;
    this.tag = `{${prefix}}`;
    this.clock = options.clock;
    this.graceMs = options.graceMs ?? WINDOW_GRACE_MS;
  }

  async reserve(reservationId: string, lines: readonly CounterLine[], ttlMs: number): Promise<ReserveResult> {
    checkReservationId(reservationId);
    checkReserve(lines, ttlMs);
    if (lines.length === 0) return { ok: true };
    return new Promise((resolve, reject) => this.enqueue({ kind: "reserve", id: reservationId, lines, ttlMs, resolve, reject }));
  }

  async settle(reservationId: string, actual: readonly Settlement[], options?: SettleOptions): Promise<void> {
    checkReservationId(reservationId);
    checkSettle(actual);
    if (actual.length === 0) return;
    return new Promise((resolve, reject) => this.enqueue({ kind: "settle", id: reservationId, lines: actual, ifHeld: options?.ifHeld === true, resolve, reject }));
  }

  async read(counters: readonly string[]): Promise<CounterState[]> {
    if (counters.length === 0) return [];
    // Calls reach Redis in the order they were made: what is queued goes ahead of this read.
    this.flush();
    await this.connectedOnce();
    const flat = (await readScript.run(
      this.client,
      counters.flatMap((counter) => this.keysOf(counter)),
      this.head(),
    )) as number[];
    return counters.map((_, i) => ({ spent: flat[2 * i] ?? 0, reserved: flat[2 * i + 1] ?? 0 }));
  }

  async close(): Promise<void> {
    // What is queued goes out first: a settlement must not be lost.
    this.flush();
    await Promise.all(this.inFlight);
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private connectedOnce(): Promise<void> {
    this.connection ??= firstConnection(this.client);
    return this.connection;
  }

  /** ARGV[1..2] of every script: now (-1: the server's TIME) and the grace. */
  private head(): number[] {
    return [this.clock ? this.clock() : -1, this.graceMs];
  }

  private keysOf(counter: string): [string, string, string] {
    return [`${this.tag}:s:${counter}`, `${this.tag}:r:${counter}`, `${this.tag}:e:${counter}`];
  }

  private enqueue(operation: Operation): void {
    // setImmediate runs after this turn's I/O callbacks: everything they call goes in one script.
    if (this.queue.push(operation) === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const queued = this.queue;
    this.queue = [];
    for (let i = 0; i < queued.length; i += MAX_BATCH) {
      const sent = this.apply(queued.slice(i, i + MAX_BATCH));
      this.inFlight.add(sent);
      void sent.then(() => this.inFlight.delete(sent));
    }
  }

  /** Runs one script for `batch` and answers each caller; never rejects (the callers do). */
  private async apply(batch: readonly Operation[]): Promise<void> {
    try {
      await this.connectedOnce();
      const replies = (await applyScript.run(this.client, ...this.encode(batch))) as number[];
      let next = 0;
      for (const operation of batch) {
        if (operation.kind === "settle") {
          operation.resolve();
          continue;
        }
        const failed = replies[next++]!;
        const remaining = replies[next++]!;
        const line = operation.lines[failed];
        operation.resolve(line ? { ok: false, line: failed, remaining, resetsAt: line.windowEndsAt } : { ok: true });
      }
    } catch (error) {
      for (const operation of batch) operation.reject(error);
    }
  }

  /** KEYS and ARGV of APPLY_LUA: each counter's keys once, then the operations naming counters by position. */
  private encode(batch: readonly Operation[]): [string[], (string | number)[]] {
    const positions = new Map<string, number>();
    const keys: string[] = [];
    // A counter's name includes its window, so every line naming it has the same end.
    const ends: number[] = [];
    const operations: (string | number)[] = [];
    const position = (line: Settlement) => {
      let at = positions.get(line.counter);
      if (at === undefined) {
        at = positions.size + 1;
        positions.set(line.counter, at);
        keys.push(...this.keysOf(line.counter));
        ends.push(line.windowEndsAt === Infinity ? -1 : line.windowEndsAt);
      }
      return at;
    };
    for (const operation of batch) {
      if (operation.kind === "reserve") {
        operations.push("r", operation.id, operation.ttlMs, operation.lines.length);
        for (const line of operation.lines) operations.push(position(line), line.limit, line.amount);
      } else {
        operations.push("s", operation.id, operation.ifHeld ? 1 : 0, operation.lines.length);
        for (const line of operation.lines) operations.push(position(line), line.amount);
      }
    }
    return [keys, [...this.head(), ...ends, ...operations]];
  }
}
