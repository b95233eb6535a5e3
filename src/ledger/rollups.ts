import type { Sql } from "../store/sql.js";
import { type HourlyRollups, type RefreshOptions, refreshHours } from "./hour-refresh.js";
import { hasLegacyRows } from "./partitions.js";
import { providerHealthRaw } from "./provider-health-sql.js";

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
function hourRollupSelect(dialect: Sql["dialect"]): string {
  const requests = REQUEST_DIMS.map(
    ([dim, group]) =>
      `SELECT '${dim}', $1, ${group}, COUNT(*), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(input_tokens), SUM(output_tokens),
              SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(cost_nanos), SUM(saved_nanos), SUM(cache_hit), 0, 0
         FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 ${dim === "all" ? "HAVING COUNT(*) > 0" : `GROUP BY ${group}`}`,
  );
  const tags = `SELECT 'tag:' || name, $1, '=' || value, COUNT(*), 0, SUM(input_tokens), SUM(output_tokens), 0, 0, SUM(cost_nanos), SUM(saved_nanos), 0, 0, 0
                  FROM tollgate_ledger_tags WHERE started_at >= $1 AND started_at < $2 GROUP BY name, value`;
  const providers = `SELECT 'provider', $1, '=' || provider, attempts, errors, 0, 0, 0, 0, 0, 0, 0, retries, fallbacks FROM (${providerHealthRaw(dialect)}) p`;
  return [...requests, tags, providers].join("\nUNION ALL ");
}

const DAY_MS = 86_400_000;

/** The usage sums as the refresh computes them (hour-refresh.ts). */
const USAGE: HourlyRollups = {
  dirtyTable: "tollgate_rollup_dirty",
  hourlyTable: "tollgate_usage_hourly",
  dailyTable: "tollgate_usage_daily",
  columns: ["dim", "hour", "grp", ...MEASURES.split(", ")],
  hourSelect: hourRollupSelect,
  daySelect: (day, hours) =>
    `SELECT dim, ${day}, grp, ${MEASURES.split(", ")
      .map((m) => `SUM(${m})`)
      .join(", ")} FROM ${hours} GROUP BY dim, grp`,
};

/**
 * Recomputes the rollups of up to `limit` hours that got rows since they were last
 * computed, oldest first: the hour from raw rows, then its day from the day's hours. Each
 * hour is claimed before it is computed, so instances running this at once share the work.
 * Hours before `rawCutoff` lost their raw rows to retention: their rollups stay as they
 * were. Hours from `before` on wait (see LedgerMaintenance). On SQLite the raw rows are
 * read off the event loop (hour-refresh.ts). Returns the hours refreshed.
 */
export function refreshRollups(sql: Sql, limit: number, rawCutoff?: number, before = Number.MAX_SAFE_INTEGER, options?: RefreshOptions): Promise<number> {
  return refreshHours(sql, USAGE, limit, rawCutoff, before, options);
}

/** Marks hours to be recomputed (their rows changed, e.g. by a repricing run). */
export async function markHoursDirty(sql: Sql, hours: Iterable<number>): Promise<void> {
  for (const hour of new Set(hours)) await sql.query("INSERT INTO tollgate_rollup_dirty (hour) VALUES ($1) ON CONFLICT (hour) DO NOTHING", [hour]);
}

interface Range {
  from: number;
  to: number;
}

/** Rollup rows that answer part of a range: a table, its time column, and which of its rows (SQL on literal integers). */
export interface RollupPart {
  table: `tollgate_${RollupFamily}_hourly` | `tollgate_${RollupFamily}_daily`;
  column: "hour" | "day";
  where: string;
}

/** Which rollups: the usage sums (migration 7) or the latency histograms (migration 12), each with its own dirty marks. */
type RollupFamily = "usage" | "latency";
const DIRTY_TABLE: Record<RollupFamily, string> = { usage: "tollgate_rollup_dirty", latency: "tollgate_latency_dirty" };

/** A report's range cut where rollups can answer: whole clean days, then whole clean hours, the rest from raw rows. */
export interface RangeSplit {
  /** Raw rows answer these: the partial hours at the ends, and whole hours waiting to be recomputed. */
  edges: Range[];
  rollups: RollupPart[];
}

const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Consecutive ranges merged. */
function runs(ranges: Range[]): Range[] {
  const out: Range[] = [];
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    const last = out.at(-1);
    if (last && last.to >= r.from) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** `column` in any of `include` and in none of `exclude`. */
function predicate(column: string, include: Range[], exclude: Range[]): string {
  const inside = include.map((r) => `(${column} >= ${r.from} AND ${column} < ${r.to})`).join(" OR ");
  return `(${inside})${exclude.map((r) => ` AND NOT (${column} >= ${r.from} AND ${column} < ${r.to})`).join("")}`;
}

/** The hours of [from, to) waiting to be recomputed, merged into runs; undefined: the whole range comes from raw rows. */
async function dirtyRuns(sql: Sql, from: number, to: number, family: RollupFamily): Promise<Range[] | undefined> {
  const hoursFrom = ceilTo(from, HOUR_MS);
  const hoursTo = floorTo(to, HOUR_MS);
  if (hoursFrom >= hoursTo || (sql.dialect === "postgres" && (await hasLegacyRows(sql)))) return undefined;
  const dirtyRows = await sql.query<{ hour: number }>(`SELECT hour FROM ${DIRTY_TABLE[family]} WHERE hour >= $1 AND hour < $2 ORDER BY hour LIMIT ${MAX_DIRTY_IN_RANGE + 1}`, [hoursFrom, hoursTo]);
  if (dirtyRows.length > MAX_DIRTY_IN_RANGE) return undefined;
  // Floored: a mark off the hour is an hour claimed and being computed (hour-refresh.ts), still marked.
  return runs(dirtyRows.map(({ hour }) => ({ from: floorTo(hour, HOUR_MS), to: floorTo(hour, HOUR_MS) + HOUR_MS })));
}

function cut(from: number, to: number, dirty: Range[] | undefined, family: RollupFamily, days: boolean): RangeSplit {
  if (!dirty) return { edges: [{ from, to }], rollups: [] };
  const hoursFrom = ceilTo(from, HOUR_MS);
  const hoursTo = floorTo(to, HOUR_MS);
  const edges = [{ from, to: hoursFrom }, ...dirty, { from: hoursTo, to }].filter((e) => e.from < e.to);
  const daysFrom = days ? ceilTo(hoursFrom, DAY_MS) : hoursTo;
  const daysTo = days ? floorTo(hoursTo, DAY_MS) : hoursTo;
  const rollups: RollupPart[] = [];
  let hourly: Range[] = [{ from: hoursFrom, to: hoursTo }];
  if (daysFrom < daysTo) {
    // A day with an hour waiting is read by the hour (its clean hours) instead.
    const dirtyDays = runs(dirty.map((r) => ({ from: floorTo(r.from, DAY_MS), to: ceilTo(r.to, DAY_MS) }))).filter((d) => d.to > daysFrom && d.from < daysTo);
    rollups.push({ table: `tollgate_${family}_daily`, column: "day", where: predicate("day", [{ from: daysFrom, to: daysTo }], dirtyDays) });
    hourly = [{ from: hoursFrom, to: daysFrom }, ...dirtyDays.map((d) => ({ from: Math.max(d.from, daysFrom), to: Math.min(d.to, daysTo) })), { from: daysTo, to: hoursTo }].filter(
      (r) => r.from < r.to,
    );
  }
  if (hourly.length > 0) rollups.push({ table: `tollgate_${family}_hourly`, column: "hour", where: predicate("hour", runs(hourly), dirty) });
  return { edges, rollups };
}

/**
 * Where [from, to) can be read from rollups of `family` (default usage). With `days` (the
 * default), whole UTC days without hours waiting to be recomputed come from the daily
 * rollups (a report by hour passes false).
 * Everything comes from raw rows while rows of before migration 7 wait to be moved into
 * the partitions (PostgreSQL).
 */
export async function splitRange(sql: Sql, from: number, to: number, options: { days?: boolean; family?: RollupFamily } = {}): Promise<RangeSplit> {
  const family = options.family ?? "usage";
  return cut(from, to, await dirtyRuns(sql, from, to, family), family, options.days ?? true);
}

/** [from, to) split both ways (splitRange) from one look at the marks: the same edges in both. */
export async function splitRangeBothWays(sql: Sql, from: number, to: number, family: RollupFamily): Promise<{ byDay: RangeSplit; byHour: RangeSplit }> {
  const dirty = await dirtyRuns(sql, from, to, family);
  return { byDay: cut(from, to, dirty, family, true), byHour: cut(from, to, dirty, family, false) };
}

/** A rollup group back to its value: '' is none, '=x' is x. */
export const groupValue = (grp: string): string | null => (grp === "" ? null : grp.slice(1));
