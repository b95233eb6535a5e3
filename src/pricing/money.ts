/**
 * Nano-dollars (1e-9 USD, integers) as a USD string with 6 decimals, rounded half away
 * from zero. BigInt throughout: money is never a float here. Accepts the decimal strings
 * Postgres returns for large sums.
 */
export function formatUsd(nanos: number | bigint | string): string {
  let n = typeof nanos === "bigint" ? nanos : BigInt(typeof nanos === "number" ? Math.round(nanos) : nanos);
  const negative = n < 0n;
  if (negative) n = -n;
  const micros = (n + 500n) / 1000n;
  const whole = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, "0");
  return `${negative && micros > 0n ? "-" : ""}${whole}.${fraction}`;
}

/** An integer count of nano-dollars as a JSON number (exact below 2^53, about 9 million USD). */
export function nanosNumber(nanos: number | bigint | string): number {
  return typeof nanos === "number" ? Math.round(nanos) : Number(nanos);
}

/** What a request (or a sum of them) cost, in both forms the admin API shows money. */
export function costFields(costNanos: number | bigint | string) {
  return { cost_nanos: nanosNumber(costNanos), cost_usd: formatUsd(costNanos) };
}

/** Cost and what caches and replays saved, in both forms. */
export function moneyFields(costNanos: number | bigint | string, savedNanos: number | bigint | string) {
  return { ...costFields(costNanos), saved_nanos: nanosNumber(savedNanos), saved_usd: formatUsd(savedNanos) };
}
