import { expect } from "vitest";
import { PERCENTILE_RELATIVE_ERROR, type Percentiles } from "../latency-histogram.js";

/** Exact nearest-rank percentile: the value at rank ⌈p·n⌉ of the sorted values. */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

export const reference = (values: number[]): Percentiles => ({ p50: nearestRank(values, 50), p90: nearestRank(values, 90), p99: nearestRank(values, 99) });

/** Whether a percentile read from the histograms is within their documented error of the exact one (0.05 ms is the rounding to 0.1 ms). */
function withinBucketError(estimate: number | null, exact: number | null): boolean {
  if (estimate === null || exact === null) return estimate === exact;
  return Math.abs(estimate - exact) <= exact * PERCENTILE_RELATIVE_ERROR + 0.05 + 1e-9;
}

/** Each of p50, p90 and p99 within the histograms' error of the exact values. */
export function expectNear(estimated: Percentiles, exact: Percentiles): void {
  for (const p of ["p50", "p90", "p99"] as const) {
    expect(withinBucketError(estimated[p], exact[p]), `${p}: ${estimated[p]} for ${exact[p]}`).toBe(true);
  }
}
