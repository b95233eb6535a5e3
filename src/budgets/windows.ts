import type { Period } from "./types.js";

/** One UTC calendar window: counters are keyed by its label and dropped after it ends. */
export interface BudgetWindow {
  /** Epoch ms of the window's first instant; `-Infinity` for "total". */
  start: number;
  /** Epoch ms of the next window's first instant; `Infinity` for "total". */
  end: number;
  /** "2026-11-21T10:07" (minute), "2026-11-21T10" (hour), "2026-11-21" (day), "2026-11" (month), "all" (total). */
  label: string;
}

/**
 * How long a counter outlives its window, so that settlements of requests that straddled
 * the boundary and reports on the window that just ended still find it.
 */
export const WINDOW_GRACE_MS = 10 * 60_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function windowOf(period: Period, at: number): BudgetWindow {
  if (!Number.isFinite(at)) throw new RangeError(`windowOf: not a time: ${at}`);
  switch (period) {
    case "minute":
      return fixed(at, MINUTE, 16);
    case "hour":
      return fixed(at, HOUR, 13);
    case "day":
      return fixed(at, DAY, 10);
    case "month": {
      const date = new Date(at);
      const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
      return { start, end, label: iso(start, 7) };
    }
    case "total":
      return { start: -Infinity, end: Infinity, label: "all" };
  }
}

/** Minutes, hours and days have a fixed length in UTC (no leap seconds in epoch time). */
function fixed(at: number, size: number, labelLength: number): BudgetWindow {
  const start = Math.floor(at / size) * size;
  return { start, end: start + size, label: iso(start, labelLength) };
}

// Labels are asked for on every request but change once per window: remember the last few.
const labels = new Map<number, string>();

function iso(at: number, length: number): string {
  const key = at * 32 + length;
  let label = labels.get(key);
  if (label === undefined) {
    if (labels.size >= 64) labels.clear();
    label = new Date(at).toISOString().slice(0, length);
    labels.set(key, label);
  }
  return label;
}
