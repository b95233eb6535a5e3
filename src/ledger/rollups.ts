import type { Sql } from "../store/sql.js";
import { hasLegacyRows } from "./partitions.js";

export const HOUR_MS = 3_600_000;

/** A report's range cut where the hourly rollups can answer: whole hours in the middle, raw rows at the edges. */
export interface RangeSplit {
  /** Raw rows answer [from, hoursFrom) and [hoursTo, to); either may be empty. */
  edges: { from: number; to: number }[];
  /** Whole hours, answered by tollgate_usage_hourly; undefined when the range holds none. */
  hours?: { from: number; to: number };
}

const ceilHour = (ms: number) => Math.ceil(ms / HOUR_MS) * HOUR_MS;
const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * Where [from, to) can be read from rollups. Everything comes from raw rows while rows of
 * before migration 7 wait to be moved into the partitions (PostgreSQL), since the rollups
 * count rows as they land there.
 */
export async function splitRange(sql: Sql, from: number, to: number): Promise<RangeSplit> {
  const hoursFrom = ceilHour(from);
  const hoursTo = floorHour(to);
  if (hoursFrom >= hoursTo || (sql.dialect === "postgres" && (await hasLegacyRows(sql)))) return { edges: [{ from, to }] };
  const edges = [
    { from, to: hoursFrom },
    { from: hoursTo, to },
  ].filter((e) => e.from < e.to);
  return { edges, hours: { from: hoursFrom, to: hoursTo } };
}

/** A rollup group back to its value: '' is none, '=x' is x. */
export const groupValue = (grp: string): string | null => (grp === "" ? null : grp.slice(1));
