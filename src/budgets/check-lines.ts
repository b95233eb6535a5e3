import type { CounterLine } from "./types.js";

/**
 * Both stores reject the same malformed input the same way, before touching any counter:
 * Redis counts in 64-bit integers (HINCRBY) and Lua in doubles, so amounts and limits must
 * be non-negative safe integers. Errors are RangeErrors so callers can tell a bug from an
 * unavailable store.
 */
export function checkReserve(lines: readonly CounterLine[], ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`Reservation TTL must be a positive integer of ms, got ${ttlMs}.`);
  for (const line of lines) {
    checkCount(line.counter, "limit", line.limit);
    checkEntry(line);
  }
}

export function checkSettle(actual: readonly Pick<CounterLine, "counter" | "amount" | "windowEndsAt">[]): void {
  for (const line of actual) checkEntry(line);
}

export function checkReservationId(id: string): void {
  if (id.length === 0) throw new RangeError("Reservation id must not be empty.");
}

function checkEntry(line: Pick<CounterLine, "counter" | "amount" | "windowEndsAt">): void {
  if (line.counter.length === 0) throw new RangeError("Counter name must not be empty.");
  checkCount(line.counter, "amount", line.amount);
  if (line.windowEndsAt !== Infinity && !Number.isSafeInteger(line.windowEndsAt)) {
    throw new RangeError(`Counter ${line.counter}: windowEndsAt must be epoch ms or Infinity, got ${line.windowEndsAt}.`);
  }
}

function checkCount(counter: string, what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Counter ${counter}: ${what} must be a non-negative safe integer, got ${value}.`);
}
