/**
 * Fixed log-spaced latency buckets (milliseconds), the same in SQL and here: bucket 0 holds
 * 0 ms; bucket i (1 ≤ i ≤ LAST - 1) holds [RATIO^(i-1), RATIO^i); the last holds everything
 * from RATIO^(LAST-1) ≈ 65 minutes up. Ledger latencies are whole milliseconds.
 */
const RATIO = 1.1;
const LAST = 160;
const LN_RATIO = Math.log(RATIO);

/**
 * How far a percentile read from the buckets can be from the exact one, relative to it: a
 * bucket's estimate is the geometric middle of the whole milliseconds it holds, within
 * √RATIO − 1 (4.9 %) of any of them; values are then rounded to 0.1 ms. Below ~10 ms every
 * bucket holds one whole millisecond, so the estimate is exact. The last bucket reports its
 * lower bound.
 */
export const PERCENTILE_RELATIVE_ERROR = Math.sqrt(RATIO) - 1;

/** The bucket of a latency column's value, as SQL (SQLite ≥ 3.35 with math functions, or PostgreSQL). */
export const bucketSql = (column: string) =>
  `CASE WHEN ${column} < 1 THEN 0 WHEN ${column} >= ${Math.ceil(RATIO ** (LAST - 1))} THEN ${LAST} ELSE 1 + CAST(FLOOR(LN(${column}) / ${LN_RATIO}) AS INTEGER) END`;

/** The whole milliseconds bucket `i` holds: [low, high]. */
function bucketRange(i: number): [number, number] {
  if (i <= 0) return [0, 0];
  const low = Math.ceil(RATIO ** (i - 1));
  if (i >= LAST) return [low, low];
  return [low, Math.max(low, Math.ceil(RATIO ** i) - 1)];
}

function estimate(i: number): number {
  const [low, high] = bucketRange(i);
  return Math.round(Math.sqrt(low * high) * 10) / 10;
}

export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

const NO_PERCENTILES: Percentiles = { p50: null, p90: null, p99: null };
const LEVELS = [50, 90, 99] as const;

/** Counts per bucket, added up from any number of hours, days and raw rows. */
export type Histogram = Map<number, number>;

export function addCount(h: Histogram, bucket: number, n: number): void {
  h.set(bucket, (h.get(bucket) ?? 0) + n);
}

/**
 * Nearest-rank percentiles (the value at rank ⌈p·n/100⌉) estimated from a histogram: the
 * ranked value lies in the bucket where the running count reaches its rank, so the estimate
 * is within PERCENTILE_RELATIVE_ERROR of it.
 */
export function histogramPercentiles(h: Histogram | undefined): Percentiles {
  if (!h) return NO_PERCENTILES;
  // One pass over the buckets in order for the three ranks (a report has thousands of histograms).
  const buckets: number[] = [];
  let total = 0;
  for (const [bucket, n] of h) {
    if (n <= 0) continue;
    buckets.push(bucket);
    total += n;
  }
  if (total === 0) return NO_PERCENTILES;
  buckets.sort((a, b) => a - b);
  const out: Percentiles = { ...NO_PERCENTILES };
  let level = 0;
  let rank = Math.floor((total * LEVELS[0] + 99) / 100);
  let seen = 0;
  for (const bucket of buckets) {
    seen += h.get(bucket)!;
    while (seen >= rank) {
      out[`p${LEVELS[level]!}`] = estimate(bucket);
      if (++level === LEVELS.length) return out;
      rank = Math.floor((total * LEVELS[level]! + 99) / 100);
    }
  }
  return out;
}
