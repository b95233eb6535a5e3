import { randomInt } from "node:crypto";
import type { Sql } from "../store/sql.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** One family of rollups (usage sums, latency histograms) as the refresh sees it. */
export interface HourlyRollups {
  /** The marks of the hours to recompute. */
  dirtyTable: string;
  hourlyTable: string;
  dailyTable: string;
  /** The hourly table's columns, in the order `hourSelect` gives them; the daily table's are the same with `day` for `hour`. */
  columns: readonly string[];
  /** The rows of the hour [$1, $2), from raw rows, with $1 as their hour. */
  hourSelect(dialect: Sql["dialect"]): string;
  /** A day's rows, `day` (SQL) as their day, summed from `hours`: a FROM item of hourly rows of that day only. */
  daySelect(day: string, hours: string): string;
}

export interface RefreshOptions {
  /** Aborts a read under way in the SQLite worker; its hour stays marked. */
  signal?: AbortSignal;
  /** The SQLite worker failed: the rest of this refresh computes on the event loop. */
  onFallback?: (err: unknown) => void;
}

/**
 * PostgreSQL: one transaction at a time recomputes a day's row of `table`, until it commits.
 * Two hours of one day computed at once would otherwise both delete the day (seeing nothing
 * committed yet) and then both insert it: a duplicate key. SQLite has one writer anyway.
 */
async function lockDay(tx: Sql, table: string, day: number): Promise<void> {
  if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(hashtext($1), $2)", [table, Math.floor(day / DAY_MS)]);
}

/** The day's rows recomputed from its hours as they are in `tx`. */
async function writeDay(tx: Sql, family: HourlyRollups, day: number): Promise<void> {
  await lockDay(tx, family.dailyTable, day);
  await tx.query(`DELETE FROM ${family.dailyTable} WHERE day = $1`, [day]);
  await tx.query(`INSERT INTO ${family.dailyTable} (${dayColumns(family).join(", ")}) ${family.daySelect("$1", `${family.hourlyTable} WHERE hour >= $1 AND hour < $2`)}`, [day, day + DAY_MS]);
}

const dayColumns = (family: HourlyRollups) => family.columns.map((c) => (c === "hour" ? "day" : c));

/** The hour's rows recomputed from raw rows in `tx`, then its day. */
async function writeHourAndDay(tx: Sql, family: HourlyRollups, hour: number): Promise<void> {
  await tx.query(`DELETE FROM ${family.hourlyTable} WHERE hour = $1`, [hour]);
  await tx.query(`INSERT INTO ${family.hourlyTable} (${family.columns.join(", ")}) ${family.hourSelect(tx.dialect)}`, [hour, hour + HOUR_MS]);
  const day = hour - (hour % DAY_MS);
  await writeDay(tx, family, day);
  if (tx.dialect === "sqlite") await dropClaimsOfDay(tx, family.dirtyTable, day);
}

/** SQLite: a mark off the hour is a claim (refreshOffLoop). */
const isClaim = `hour % ${HOUR_MS} <> 0`;

/**
 * SQLite: whoever writes an hour's rows turns the other claims of its day back into plain marks.
 * Their day rows, summed from the day's hours before this write, would miss it: their
 * claimers find the claim gone, write nothing, and the hours are computed again.
 */
async function dropClaimsOfDay(tx: Sql, dirty: string, day: number): Promise<void> {
  const inDay = `hour >= $1 AND hour < $2 AND ${isClaim}`;
  await tx.query(`INSERT INTO ${dirty} (hour) SELECT hour - hour % ${HOUR_MS} FROM ${dirty} WHERE ${inDay} ON CONFLICT (hour) DO NOTHING`, [day, day + DAY_MS]);
  await tx.query(`DELETE FROM ${dirty} WHERE ${inDay}`, [day, day + DAY_MS]);
}

/** Takes the oldest marked hour no other instance is computing (PostgreSQL skips the ones locked), or none. */
const claimPostgres = (dirty: string) => `DELETE FROM ${dirty} WHERE hour = (SELECT hour FROM ${dirty} WHERE hour < $1 ORDER BY hour LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING hour`;

/** SQLite (one writer): the oldest marked hour before `before`, a claim's mark floored to its hour, with its marks deleted. */
async function takeOldest(tx: Sql, dirty: string, before: number): Promise<number | undefined> {
  const [row] = await tx.query<{ hour: number }>(`SELECT hour FROM ${dirty} WHERE hour < $1 ORDER BY hour LIMIT 1`, [before]);
  if (!row) return undefined;
  const hour = row.hour - (row.hour % HOUR_MS);
  await tx.query(`DELETE FROM ${dirty} WHERE hour >= $1 AND hour < $2`, [hour, hour + HOUR_MS]);
  return hour;
}

/**
 * Each hour in one transaction: claimed, computed from raw rows, written with its day. On
 * PostgreSQL the work runs in the database, and instances running this at once share the
 * hours; on SQLite without a worker (`:memory:`, or after it failed) on the event loop.
 */
async function refreshInTransactions(sql: Sql, family: HourlyRollups, limit: number, rawCutoff: number | undefined, before: number): Promise<number> {
  let done = 0;
  while (done < limit) {
    const claimed = await sql.transaction(async (tx) => {
      // Unmarked first: a row written meanwhile marks the hour again, and it is recomputed next time.
      const hour = tx.dialect === "postgres" ? (await tx.query<{ hour: number }>(claimPostgres(family.dirtyTable), [before]))[0]?.hour : await takeOldest(tx, family.dirtyTable, before);
      if (hour === undefined) return false;
      if (rawCutoff === undefined || hour >= rawCutoff) await writeHourAndDay(tx, family, hour);
      return true;
    });
    if (!claimed) break;
    done++;
  }
  return done;
}

/**
 * What the worker reads, in one snapshot: the hour's rows from raw rows (kind 0), and its day's
 * rows summed from the day's other hours and these (kind 1). $1, $2: the hour; $3, $4: its day.
 */
function offLoopSelect(family: HourlyRollups): string {
  const otherHours = `SELECT ${family.columns.join(", ")} FROM ${family.hourlyTable} WHERE hour >= $3 AND hour < $4 AND hour <> $1`;
  return `WITH h AS MATERIALIZED (${family.hourSelect("sqlite")})
    SELECT 0, * FROM h
    UNION ALL
    SELECT 1, * FROM (${family.daySelect("$3", `(${otherHours} UNION ALL SELECT * FROM h) d`)})`;
}

/** The claim's rows replaced by the worker's, if the claim is still there: one short transaction. */
async function writeComputed(tx: Sql, family: HourlyRollups, claim: number, rows: unknown[][]): Promise<void> {
  const { dirtyTable, hourlyTable, dailyTable, columns } = family;
  if ((await tx.query(`SELECT 1 FROM ${dirtyTable} WHERE hour = $1`, [claim])).length === 0) return;
  if (!tx.runEach) throw new Error("a SQLite transaction handle must offer runEach");
  const hour = claim - (claim % HOUR_MS);
  const day = hour - (hour % DAY_MS);
  await tx.query(`DELETE FROM ${dirtyTable} WHERE hour = $1`, [claim]);
  const values = `VALUES (${columns.map(() => "?").join(", ")})`;
  await tx.query(`DELETE FROM ${hourlyTable} WHERE hour = $1`, [hour]);
  tx.runEach(
    `INSERT INTO ${hourlyTable} (${columns.join(", ")}) ${values}`,
    rows.filter((r) => r[0] === 0n).map((r) => r.slice(1)),
  );
  await tx.query(`DELETE FROM ${dailyTable} WHERE day = $1`, [day]);
  tx.runEach(
    `INSERT INTO ${dailyTable} (${dayColumns(family).join(", ")}) ${values}`,
    rows.filter((r) => r[0] === 1n).map((r) => r.slice(1)),
  );
  await dropClaimsOfDay(tx, dirtyTable, day);
}

/**
 * SQLite with a worker: an hour is claimed in a short transaction, the worker's own connection
 * reads its raw rows and its day's other hours (the aggregates that held the event loop for
 * seconds), and the few result rows are written in a second short transaction, if the claim
 * still holds. Else someone wrote the hour or its day meanwhile, and it is marked again.
 */
async function refreshOffLoop(
  sql: Sql,
  read: NonNullable<Sql["queryInWorker"]>,
  family: HourlyRollups,
  limit: number,
  rawCutoff: number | undefined,
  before: number,
  options: RefreshOptions,
): Promise<number> {
  let done = 0;
  while (done < limit) {
    // The claim: the hour's mark moved off the hour by a token of this claimer's until its rows
    // are written. Readers floor marks to their hour, so the hour still reads from raw rows; a
    // row written meanwhile marks it again on the hour, to be recomputed next time; a claim left
    // by a crash, or taken over by another process, is taken like any mark.
    const taken = await sql.transaction(async (tx) => {
      const hour = await takeOldest(tx, family.dirtyTable, before);
      if (hour === undefined || (rawCutoff !== undefined && hour < rawCutoff)) return { hour };
      const claim = hour + randomInt(1, HOUR_MS);
      await tx.query(`INSERT INTO ${family.dirtyTable} (hour) VALUES ($1)`, [claim]);
      return { hour, claim };
    });
    const { hour, claim } = taken;
    if (hour === undefined) break;
    done++;
    if (claim === undefined) continue;
    const day = hour - (hour % DAY_MS);
    let rows: unknown[][];
    try {
      rows = await read(offLoopSelect(family), [hour, hour + HOUR_MS, day, day + DAY_MS], options.signal);
    } catch (err) {
      // Closing: the claim stays, and the hour is computed after the next start.
      if (options.signal?.aborted) throw err;
      options.onFallback?.(err);
      await sql.transaction(async (tx) => {
        await tx.query(`DELETE FROM ${family.dirtyTable} WHERE hour = $1`, [claim]);
        await writeHourAndDay(tx, family, hour);
      });
      return done + (await refreshInTransactions(sql, family, limit - done, rawCutoff, before));
    }
    await sql.transaction((tx) => writeComputed(tx, family, claim, rows));
  }
  return done;
}

/**
 * Recomputes up to `limit` hours of `family` marked since they were last computed, oldest
 * first: the hour from raw rows, then its day from the day's hours. Hours before `rawCutoff`
 * lost their raw rows to retention: their rollups stay as they were. Hours from `before` on
 * wait (see LedgerMaintenance). Returns the hours refreshed.
 */
export function refreshHours(sql: Sql, family: HourlyRollups, limit: number, rawCutoff: number | undefined, before: number, options: RefreshOptions = {}): Promise<number> {
  const read = sql.queryInWorker?.bind(sql);
  return read ? refreshOffLoop(sql, read, family, limit, rawCutoff, before, options) : refreshInTransactions(sql, family, limit, rawCutoff, before);
}
