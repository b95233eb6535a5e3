// @ts-check
/** Number, money and time formatting shared by the pages. Money arrives as integer nano-dollars. */

const NANOS_PER_USD = 1e9;

/**
 * @param {number} nanos
 * @param {{ precise?: boolean }} [options] `precise` keeps sub-cent amounts readable
 */
export function usd(nanos, options = {}) {
  const value = nanos / NANOS_PER_USD;
  if (value === 0) return "$0.00";
  const abs = Math.abs(value);
  if (options.precise || abs < 0.01) return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: abs < 0.01 ? 6 : 4 })}`;
  return value.toLocaleString("en-US", { style: "currency", currency: "USD" });
}

/** Axis ticks: as many decimals as the tick needs ($0.025, not $0.03). @param {number} nanos */
export function usdTick(nanos) {
  const value = nanos / NANOS_PER_USD;
  return `$${value.toLocaleString("en-US", value >= 1 ? { maximumFractionDigits: 2 } : { maximumSignificantDigits: 3 })}`;
}

/** @param {number} n */
export function count(n) {
  return n.toLocaleString("en-US");
}

/** 1.2k, 3.4M: for axes and cards. @param {number} n */
export function compact(n) {
  return n.toLocaleString("en-US", { notation: "compact", maximumFractionDigits: 1 });
}

/** @param {number} ratio 0..1 */
export function percent(ratio) {
  if (ratio === 0) return "0%";
  const p = ratio * 100;
  return `${p < 0.1 ? "<0.1" : p.toLocaleString("en-US", { maximumFractionDigits: p < 10 ? 1 : 0 })}%`;
}

/** @param {number | null | undefined} value */
export function ms(value) {
  if (value === null || value === undefined) return "–";
  // 1.25 s, 5 s, 12.5 s: no trailing zeros.
  if (value >= 1000) return `${Number((value / 1000).toFixed(value >= 10_000 ? 1 : 2))} s`;
  return `${Math.round(value)} ms`;
}

/** @param {string | number} at ISO string or epoch ms */
export function dateTime(at) {
  return new Date(at).toLocaleString("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

/** @param {string | number} at */
export function clock(at) {
  return new Date(at).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** "12 s ago", "5 min ago", or the date. @param {string | number} at */
export function ago(at) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(at).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return dateTime(at);
}

/**
 * A budget amount in its unit (usd amounts are nano-dollars).
 * @param {number} amount
 * @param {string} unit
 */
export function amountIn(amount, unit) {
  if (unit === "usd") return usd(amount, { precise: true });
  return `${compact(amount)} ${unit}`;
}
