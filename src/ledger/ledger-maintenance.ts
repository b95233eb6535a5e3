import type { Sql } from "../store/sql.js";
import { dayStart, DAY_MS, ensureDayPartition, moveLegacyRows } from "./partitions.js";
import { applyRetention, type RetentionResult } from "./retention.js";
import { refreshLatencyRollups } from "./latency-rollups.js";
import { HOUR_MS, refreshRollups } from "./rollups.js";

export interface LedgerMaintenanceOptions {
  /** Days raw rows are kept, and days of hourly rollups; undefined keeps them. */
  retention: { rawDays?: number | undefined; rollupDays?: number | undefined };
  /** How often maintenance runs. */
  intervalMs: number;
  onError: (err: unknown) => void;
  /** Something went wrong and was worked around (SQLite: rollups computed on the event loop after the worker failed). */
  onWarning?: (message: string) => void;
  now?: () => number;
}

export interface MaintenanceReport extends RetentionResult {
  /** PostgreSQL: rows moved from the tables of before migration 7 into the partitions. */
  movedRequests: number;
  /** Hours whose rollups were recomputed. */
  refreshedHours: number;
  /** Hours whose latency histograms were recomputed. */
  refreshedLatencyHours: number;
}

/** PostgreSQL: partitions exist this many days ahead, so new rows never land in the default partition. */
const DAYS_AHEAD = 2;
/** Requests moved per transaction, and per maintenance run, from the tables of before migration 7. */
const MOVE_BATCH = 5_000;
const MOVE_PER_RUN = 200_000;
/** Hours of rollups recomputed per run. */
const REFRESH_PER_RUN = 500;
/** While old rows remain to be moved (or hours to be recomputed), the next run comes this soon. */
const BUSY_INTERVAL_MS = 1_000;

/**
 * The ledger's housekeeping, off the request path: day partitions made ahead (PostgreSQL),
 * rows of before migration 7 moved into them a batch at a time, and `ledger.retention`
 * applied. Every step is safe to run on several instances at once.
 */
export class LedgerMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Aborted by close(): a SQLite worker's read under way is dropped (its hour stays marked). */
  private readonly abort = new AbortController();

  constructor(
    private readonly sql: Sql,
    private readonly options: LedgerMaintenanceOptions,
  ) {}

  start(): void {
    this.schedule(0);
  }

  async runOnce(): Promise<MaintenanceReport> {
    const now = (this.options.now ?? Date.now)();
    let movedRequests = 0;
    if (this.sql.dialect === "postgres") {
      for (let day = dayStart(now) - DAY_MS; day <= dayStart(now) + DAYS_AHEAD * DAY_MS; day += DAY_MS) await ensureDayPartition(this.sql, day);
      while (movedRequests < MOVE_PER_RUN) {
        const moved = await moveLegacyRows(this.sql, MOVE_BATCH);
        movedRequests += moved;
        if (moved === 0) break;
      }
    }
    const { rawDays, rollupDays } = this.options.retention;
    const rawCutoff = rawDays === undefined ? undefined : now - rawDays * DAY_MS;
    // Before retention: an hour's rollups are computed while its raw rows are still there.
    // The hour still being written waits until it ends: reports read a marked hour from raw
    // rows anyway, and recomputing it every run cost its rows each time (on SQLite, 150k rows
    // held the event loop ~3 s a minute).
    // On SQLite the hour's raw rows are read by a worker thread, off the event loop.
    const openHour = now - (now % HOUR_MS);
    const refresh = {
      signal: this.abort.signal,
      onFallback: (err: unknown) => this.options.onWarning?.(`SQLite rollups computed on the event loop this run: the worker failed (${String(err)})`),
    };
    const refreshedHours = await refreshRollups(this.sql, REFRESH_PER_RUN, rawCutoff, openHour, refresh);
    const refreshedLatencyHours = await refreshLatencyRollups(this.sql, REFRESH_PER_RUN, rawCutoff, openHour, refresh);
    const retention = await applyRetention(this.sql, { raw: rawCutoff, rollup: rollupDays === undefined ? undefined : now - rollupDays * DAY_MS });
    return { ...retention, movedRequests, refreshedHours, refreshedLatencyHours };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort(new Error("ledger maintenance closed"));
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      const run = this.runOnce().then(
        (report) => this.schedule(report.movedRequests > 0 || report.refreshedHours >= REFRESH_PER_RUN || report.refreshedLatencyHours >= REFRESH_PER_RUN ? BUSY_INTERVAL_MS : this.options.intervalMs),
        (err: unknown) => {
          // A run cut short by close() failed on purpose.
          if (!this.closed) this.options.onError(err);
          this.schedule(this.options.intervalMs);
        },
      );
      this.running = run;
    }, delay).unref();
  }
}
