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

/** The window of `period` that `at` falls in. Shared and frozen: the same few are asked for on every request. */
export function windowOf(period: Period, at: number): Readonly<BudgetWindow> {
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
      return remembered(start, Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1), 7);
    }
    case "total":
      return TOTAL;
  }
}

const TOTAL: Readonly<BudgetWindow> = Object.freeze({ start: -Infinity, end: Infinity, label: "all" });

/** Minutes, hours and days have a fixed length in UTC (no leap seconds in epoch time). */
function fixed(at: number, size: number, labelLength: number): Readonly<BudgetWindow> {
  const start = Math.floor(at / size) * size;
  return remembered(start, start + size, labelLength);
}

// Windows are asked for on every request but change once per window: remember the last few.
const windows = new Map<number, Readonly<BudgetWindow>>();

/** The window from `start` to `end` whose label is `labelLength` characters of its ISO time (the length tells the period). */
function remembered(start: number, end: number, labelLength: number): Readonly<BudgetWindow> {
  const key = start * 32 + labelLength;
  let window = windows.get(key);
  if (window === undefined) {
    if (windows.size >= 64) windows.clear();
    window = Object.freeze({ start, end, label: new Date(start).toISOString().slice(0, labelLength) });
    windows.set(key, window);
  }
  return window;
}
