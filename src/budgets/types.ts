/** Budgets and rate limits share one mechanism: counters per window, spent by reservation. */

// Rules are config (defined with its schema); the budgets code reads their types from here.
import type { BudgetRule } from "../config/budgets-schema.js";

export type { BudgetRule, Period, Scope, Unit } from "../config/budgets-schema.js";

/** One counter a request must fit into: a rule applied to one subject in one window. */
export interface CounterLine {
  /** Unique per rule, subject and window, e.g. "usd:day:user:alice:2026-11-21". */
  counter: string;
  limit: number;
  /** What this request reserves against it: worst case before the call, actual after. */
  amount: number;
  /** When the window ends (epoch ms); `Infinity` for "total". */
  windowEndsAt: number;
  rule: BudgetRule;
  /** The subject the rule matched (the user id, the key id, ...). */
  subject: string;
}

export type ReserveResult =
  | { ok: true }
  /** `line` is the index of the first line that could not fit. */
  | { ok: false; line: number; remaining: number; resetsAt: number };

export interface SettleOptions {
  ifHeld?: boolean;
}

export interface CounterState {
  spent: number;
  reserved: number;
}

/**
 * Atomic counters. `reserve` adds to every line or to none (so concurrent requests cannot
 * jointly overshoot a limit); `settle` replaces a reservation with what was really used.
 * Reservations left unsettled (a crashed instance) expire after their TTL.
 */
export interface BudgetStore {
  readonly kind: string;
  reserve(reservationId: string, lines: readonly CounterLine[], ttlMs: number): Promise<ReserveResult>;
  /**
   * `ifHeld`: only counters still holding this reservation take the actual usage (a settlement
   * replayed after a restart, which the crashed process may already have applied).
   */
  settle(reservationId: string, actual: readonly Pick<CounterLine, "counter" | "amount" | "windowEndsAt">[], options?: SettleOptions): Promise<void>;
  read(counters: readonly string[]): Promise<CounterState[]>;
  /**
   * The settlements a restart found in the journal have all been called (with `ifHeld`): what the
   * previous process still held beyond them can go. Only a store with leases holds anything then.
   */
  recovered?(): Promise<void>;
  close(): Promise<void>;
}
