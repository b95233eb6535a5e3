import { checkReservationId, checkReserve, checkSettle } from "./check-lines.js";
import type { BudgetStore, CounterLine, CounterState, ReserveResult, SettleOptions } from "./types.js";
import { WINDOW_GRACE_MS } from "./windows.js";

export interface MemoryBudgetStoreOptions {
  /** Epoch ms; injectable so tests can cross windows and TTLs without waiting. */
  clock?: () => number;
  /** How long a counter outlives its window (see `WINDOW_GRACE_MS`). */
  graceMs?: number;
}

interface Counter {
  spent: number;
  reserved: number;
  /** Epoch ms after which the counter is dropped (window end + grace); Infinity for "total". */
  dropAt: number;
  reservations: Map<string, { amount: number; expiresAt: number }>;
  /**
   * No reservation expires before this (it may be earlier than the earliest still held, after
   * settlements), so a call scans the reservations about once per TTL, not each time: with
   * many requests in flight on one counter, scanning them on every call was the store's cost.
   */
  nextExpiry: number;
}

/**
 * Counters in this process only: for a single instance, for tests, and as the local
 * fallback when Redis is down. Same semantics as the Redis stores; nothing is swept
 * on a timer, expired reservations and ended windows are dropped when next touched.
 */
export class MemoryBudgetStore implements BudgetStore {
  readonly kind = "memory";
  private readonly counters = new Map<string, Counter>();
  private readonly clock: () => number;
  private readonly graceMs: number;
  /** The earliest `dropAt` among counters, so a sweep runs once per window boundary, not per call. */
  private nextDropAt = Infinity;

  constructor(options: MemoryBudgetStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.graceMs = options.graceMs ?? WINDOW_GRACE_MS;
  }

  async reserve(reservationId: string, lines: readonly CounterLine[], ttlMs: number): Promise<ReserveResult> {
    checkReservationId(reservationId);
    checkReserve(lines, ttlMs);
    const now = this.clock();
    this.sweep(now);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const counter = this.live(line.counter, now);
      const used = (counter ? counter.spent + counter.reserved : 0) + earlierOnSameCounter(lines, i);
      if (used + line.amount > line.limit) {
        return { ok: false, line: i, remaining: Math.max(0, line.limit - used), resetsAt: line.windowEndsAt };
      }
    }
    const expiresAt = now + ttlMs;
    for (const line of lines) {
      const counter = this.liveOrNew(line.counter, line.windowEndsAt, now);
      counter.reserved += line.amount;
      const held = counter.reservations.get(reservationId);
      if (held) {
        held.amount += line.amount;
        held.expiresAt = expiresAt;
      } else counter.reservations.set(reservationId, { amount: line.amount, expiresAt });
      if (expiresAt < counter.nextExpiry) counter.nextExpiry = expiresAt;
    }
    return { ok: true };
  }

  async settle(reservationId: string, actual: readonly Pick<CounterLine, "counter" | "amount" | "windowEndsAt">[], options?: SettleOptions): Promise<void> {
    checkReservationId(reservationId);
    checkSettle(actual);
    const now = this.clock();
    this.sweep(now);
    for (const line of actual) {
      // A window already past its grace no longer limits anyone.
      if (line.windowEndsAt + this.graceMs <= now) continue;
      const counter = this.liveOrNew(line.counter, line.windowEndsAt, now);
      const held = counter.reservations.get(reservationId);
      if (held) {
        counter.reserved -= held.amount;
        counter.reservations.delete(reservationId);
      } else if (options?.ifHeld) continue;
      counter.spent += line.amount;
    }
  }

  async read(counters: readonly string[]): Promise<CounterState[]> {
    const now = this.clock();
    this.sweep(now);
    return counters.map((name) => {
      const counter = this.live(name, now);
      return { spent: counter?.spent ?? 0, reserved: counter?.reserved ?? 0 };
    });
  }

  async close(): Promise<void> {
    this.counters.clear();
    this.nextDropAt = Infinity;
  }

  /** The counter with its expired reservations released (ended windows are gone after `sweep`). */
  private live(name: string, now: number): Counter | undefined {
    const counter = this.counters.get(name);
    if (!counter || now < counter.nextExpiry) return counter;
    counter.nextExpiry = Infinity;
    for (const [id, held] of counter.reservations) {
      if (held.expiresAt > now) counter.nextExpiry = Math.min(counter.nextExpiry, held.expiresAt);
      else {
        counter.reserved -= held.amount;
        counter.reservations.delete(id);
      }
    }
    return counter;
  }

  private liveOrNew(name: string, windowEndsAt: number, now: number): Counter {
    const existing = this.live(name, now);
    if (existing) return existing;
    const counter: Counter = { spent: 0, reserved: 0, dropAt: windowEndsAt + this.graceMs, reservations: new Map(), nextExpiry: Infinity };
    this.counters.set(name, counter);
    this.nextDropAt = Math.min(this.nextDropAt, counter.dropAt);
    return counter;
  }

  private sweep(now: number): void {
    if (now < this.nextDropAt) return;
    this.nextDropAt = Infinity;
    for (const [name, counter] of this.counters) {
      if (counter.dropAt <= now) this.counters.delete(name);
      else this.nextDropAt = Math.min(this.nextDropAt, counter.dropAt);
    }
  }
}

/** What the lines before `index` put on its counter: lines may name one counter twice, and each must fit on top of the others. */
function earlierOnSameCounter(lines: readonly CounterLine[], index: number): number {
  let sum = 0;
  for (let i = 0; i < index; i++) if (lines[i]!.counter === lines[index]!.counter) sum += lines[i]!.amount;
  return sum;
}
