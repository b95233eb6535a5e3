import { z } from "zod";
import { iso, parseInstant } from "./time.js";
import { invalidField } from "./validate.js";

const DAY_MS = 86_400_000;
export const BUCKET_MS = { hour: 3_600_000, day: DAY_MS } as const;
export type Granularity = keyof typeof BUCKET_MS;
/** Series longer than this are refused rather than computed (ask for days instead of hours). */
const MAX_BUCKETS = 10_000;

/** The query parameters every ledger report shares. */
export const rangeFields = {
  from: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
};
export const granularityField = z.enum(["hour", "day"]).optional();

/** [from, to) in epoch ms; defaults to the 24 hours before `now`. */
export function parseRange(q: { from?: string | undefined; to?: string | undefined }, now: number): { from: number; to: number } {
  const to = q.to === undefined ? now : parseInstant(q.to, "to");
  const from = q.from === undefined ? to - DAY_MS : parseInstant(q.from, "from");
  if (from >= to) throw invalidField("from", `${iso(from)} is not before to (${iso(to)}).`);
  return { from, to };
}

/** Refuses a series with too many buckets for the range. */
export function checkBuckets(range: { from: number; to: number }, granularity: Granularity | undefined): void {
  if (granularity && (range.to - range.from) / BUCKET_MS[granularity] > MAX_BUCKETS) {
    throw invalidField("granularity", `${iso(range.from)} to ${iso(range.to)} is more than ${MAX_BUCKETS} ${granularity}s; use a coarser granularity or a shorter range.`);
  }
}
