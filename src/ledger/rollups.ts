import type { Sql } from "../store/sql.js";
import { hasLegacyRows } from "./partitions.js";
import { PROVIDER_HEALTH_RAW } from "./provider-health-query.js";

export const HOUR_MS = 3_600_000;
/** More hours than this waiting to be recomputed in a range: the range is read from raw rows. */
const MAX_DIRTY_IN_RANGE = 200;

const grp = (column: string) => `COALESCE('=' || ${column}, '')`;
const REQUEST_DIMS: readonly [string, string][] = [
  ["all", "''"],
  ["key", grp("key_id")],
  ["user", grp("user_id")],
  ["team", grp("team_id")],
  ["model", grp("model")],
  ["route", grp("route")],
];
const MEASURES = "requests, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_nanos, saved_nanos, cache_hits, retries, fallbacks";

/** One hour of raw rows summed per dimension and group: what tollgate_usage_hourly holds for it. */
function hourRollupSelect(): string {
  const requests = REQUEST_DIMS.map(
    ([dim, group]) =>
      `SELECT '${dim}', $1, ${group}, COUNT(*), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(input_tokens), SUM(output_tokens),
              SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(cost_nanos), SUM(saved_nanos), SUM(cache_hit), 0, 0
         FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 ${dim === "all" ? "HAVING COUNT(*) > 0" : `GROUP BY ${group}`}`,
  );
  const tags = `SELECT 'tag:' || name, $1, '=' || value, COUNT(*), 0, SUM(input_tokens), SUM(output_tokens), 0, 0, SUM(cost_nanos), SUM(saved_nanos), 0, 0, 0
                  FROM tollgate_ledger_tags WHERE started_at >= $1 AND started_at < $2 GROUP BY name, value`;
  const providers = `SELECT 'provider', $1, '=' || provider, attempts, errors, 0, 0, 0, 0, 0, 0, 0, retries, fallbacks FROM (${PROVIDER_HEALTH_RAW}) p`;
  return [...requests, tags, providers].join("\nUNION ALL ");
}

/**
 * Recomputes the rollups of up to `limit` hours that got rows since they were last
 * computed, oldest first, one transaction per hour. Hours before `rawCutoff` lost their
 * raw rows to retention: their rollups stay as they were. Returns the hours refreshed.
 */
export async function refreshRollups(sql: Sql, limit: number, rawCutoff?: number): Promise<number> {
  const hours = await sql.query<{ hour: number }>(`SELECT hour FROM tollgate_rollup_dirty ORDER BY hour LIMIT ${Math.trunc(limit)}`);
  for (const { hour } of hours) {
    await sql.transaction(async (tx) => {
      // Unmarked first: a row written meanwhile marks the hour again, and it is recomputed next time.
      await tx.query("DELETE FROM tollgate_rollup_dirty WHERE hour = $1", [hour]);
      if (rawCutoff !== undefined && hour < rawCutoff) return;
      await tx.query("DELETE FROM tollgate_usage_hourly WHERE hour = $1", [hour]);
      await tx.query(`INSERT INTO tollgate_usage_hourly (dim, hour, grp, ${MEASURES}) ${hourRollupSelect()}`, [hour, hour + HOUR_MS]);
    });
  }
  return hours.length;
}

/** Marks hours to be recomputed (their rows changed, e.g. by a repricing run). */
export async function markHoursDirty(sql: Sql, hours: Iterable<number>): Promise<void> {
  for (const hour of new Set(hours)) await sql.query("INSERT INTO tollgate_rollup_dirty (hour) VALUES ($1) ON CONFLICT (hour) DO NOTHING", [hour]);
}

/** A report's range cut where the hourly rollups can answer: clean whole hours from rollups, the rest from raw rows. */
export interface RangeSplit {
  /** Raw rows answer these: the partial hours at the ends, and whole hours waiting to be recomputed. */
  edges: { from: number; to: number }[];
  /** Whole hours answered by tollgate_usage_hourly, less `excluded`; undefined when the range holds none. */
  hours?: { from: number; to: number; excluded: { from: number; to: number }[] };
}

const ceilHour = (ms: number) => Math.ceil(ms / HOUR_MS) * HOUR_MS;
const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * Where [from, to) can be read from rollups. Everything comes from raw rows while rows of
 * before migration 7 wait to be moved into the partitions (PostgreSQL).
 */
export async function splitRange(sql: Sql, from: number, to: number): Promise<RangeSplit> {
  const hoursFrom = ceilHour(from);
  const hoursTo = floorHour(to);
  if (hoursFrom >= hoursTo || (sql.dialect === "postgres" && (await hasLegacyRows(sql)))) return { edges: [{ from, to }] };
  const dirty = await sql.query<{ hour: number }>(`SELECT hour FROM tollgate_rollup_dirty WHERE hour >= $1 AND hour < $2 ORDER BY hour LIMIT ${MAX_DIRTY_IN_RANGE + 1}`, [hoursFrom, hoursTo]);
  if (dirty.length > MAX_DIRTY_IN_RANGE) return { edges: [{ from, to }] };
  // Runs of consecutive dirty hours, each read from raw rows in one query.
  const excluded: { from: number; to: number }[] = [];
  for (const { hour } of dirty) {
    const last = excluded.at(-1);
    if (last && last.to === hour) last.to = hour + HOUR_MS;
    else excluded.push({ from: hour, to: hour + HOUR_MS });
  }
  const edges = [{ from, to: hoursFrom }, ...excluded, { from: hoursTo, to }].filter((e) => e.from < e.to);
  return { edges, hours: { from: hoursFrom, to: hoursTo, excluded } };
}

/** SQL that keeps rollup rows out of the excluded hours (literal integers, from the split). */
export const excludedHours = (split: NonNullable<RangeSplit["hours"]>) => split.excluded.map((e) => ` AND NOT (hour >= ${e.from} AND hour < ${e.to})`).join("");

/** A rollup group back to its value: '' is none, '=x' is x. */
export const groupValue = (grp: string): string | null => (grp === "" ? null : grp.slice(1));
