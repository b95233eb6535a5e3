import { join } from "node:path";
import type { RequestRecord } from "../spec/request-record.js";
import { isDataError } from "../store/data-error.js";
import type { Sql } from "../store/sql.js";
import { insertRecords, InvalidRecordError } from "./insert-records.js";
import { Journal } from "./journal.js";
import { JsonlFile } from "./jsonl-file.js";

export interface LedgerWriterOptions {
  /** Records per transaction; reaching it also starts a write at once. */
  batchSize: number;
  /** Longest a record waits in memory before its batch is written. */
  flushIntervalMs: number;
  /** Holds the journal (`journal-*.jsonl`: every record until it is in the database) and `ledger-rejected.jsonl`. One writer per directory. */
  spoolDir: string;
  /** The gateway's journal in `spoolDir` (it also records requests in flight); the writer opens and closes its own when absent. */
  journal?: Journal;
  onError?: (err: unknown) => void;
  /** First retry of the database after a failure; doubles on each failure up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * Writes request records to the ledger tables in batches, off the request path. Each
 * record is first appended to the journal (synchronously, before `write` returns), so a
 * process killed with records still in memory loses none: the next writer replays them.
 *
 * While the database fails, batches are left in the journal only (dropped from memory),
 * and every later batch follows them there so that order is kept; a backoff timer replays
 * them from the journal in order once the database answers, then writes go direct again.
 * Records an earlier process left in the journal are replayed first. A record the database
 * refuses on its own (bad data, not an outage) goes to the rejected file, so it cannot
 * hold the ledger up.
 */
export class LedgerWriter {
  private readonly queue: RequestRecord[] = [];
  private readonly journal: Journal;
  private readonly ownJournal: boolean;
  private readonly rejected: JsonlFile<RequestRecord>;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private inflight = 0;
  private spooledCount: number;
  private spooling: boolean;
  private closed = false;
  private fullBatchesQueued = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  // Every write to the database (and every replay from the journal) runs here, one at a time, in order.
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sql: Sql,
    private readonly options: LedgerWriterOptions,
  ) {
    this.retryMinMs = options.retryMinMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.retryDelay = this.retryMinMs;
    this.ownJournal = options.journal === undefined;
    this.journal = options.journal ?? new Journal(options.spoolDir, { onError: (err) => this.report(err) });
    this.rejected = new JsonlFile(join(options.spoolDir, "ledger-rejected.jsonl"));
    this.spooledCount = this.journal.spooled;
    this.spooling = this.spooledCount > 0;
    if (this.spooling) this.scheduleRetry(0);
  }

  /** Records held in memory, not yet in the database (all of them are in the journal). */
  get pending(): number {
    return this.queue.length + this.inflight;
  }

  /** Records in the journal only, waiting for the database. */
  get spooled(): number {
    return this.spooledCount;
  }

  /** Takes a record for writing; returns at once and never throws. */
  write(record: RequestRecord): void {
    if (this.closed) {
      this.report(new Error(`ledger writer is closed; request ${record.id} was not recorded`));
      return;
    }
    this.journal.end(record);
    this.queue.push(record);
    if (this.queue.length >= this.options.batchSize) this.writeFullBatches();
    else
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        this.serial(() => this.drainQueue(true)).catch((err: unknown) => this.report(err));
      }, this.options.flushIntervalMs).unref();
  }

  /**
   * Writes everything accepted so far to the database; if it fails, the records wait in the
   * journal. While spooling, first tries to replay the journal's spooled records.
   */
  flush(): Promise<void> {
    return this.serial(async () => {
      if (this.spooling) await this.replay();
      await this.drainQueue(true);
    });
  }

  /** Stops taking records and flushes all of them to the database if it answers; else they wait in the journal for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } finally {
      clearTimeout(this.flushTimer);
      clearTimeout(this.retryTimer);
      if (this.ownJournal) this.journal.close();
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** A full batch is waiting: write it now; a remainder waits for the interval timer. */
  private writeFullBatches(): void {
    if (this.fullBatchesQueued) return;
    this.fullBatchesQueued = true;
    this.serial(() => {
      this.fullBatchesQueued = false;
      return this.drainQueue(false);
    }).catch((err: unknown) => this.report(err));
  }

  /** Writes queued records in batches: all of them, or only full batches. */
  private async drainQueue(all: boolean): Promise<void> {
    if (all) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    while (this.queue.length >= (all ? 1 : this.options.batchSize)) {
      const batch = this.queue.splice(0, this.options.batchSize);
      this.inflight += batch.length;
      try {
        if (!this.spooling && (await this.store(batch))) continue;
        if (!this.spooling) this.startSpooling();
        // Already in the journal since write(): let go of them, they are replayed from there.
        this.journal.spool(batch.map((r) => r.id));
        this.spooledCount += batch.length;
      } finally {
        this.inflight -= batch.length;
      }
    }
  }

  /**
   * Writes a batch; false when the database could not be reached. If it refuses the batch
   * for its data, each record is tried alone and the ones it refuses are set aside.
   */
  private async store(batch: readonly RequestRecord[]): Promise<boolean> {
    try {
      await insertRecords(this.sql, batch);
      this.journal.committed(batch.map((r) => r.id));
      return true;
    } catch (err) {
      if (!refused(err)) {
        this.report(err);
        return false;
      }
    }
    for (const record of batch) {
      try {
        await insertRecords(this.sql, [record]);
        this.journal.committed([record.id]);
      } catch (err) {
        if (!refused(err)) {
          this.report(err);
          return false;
        }
        this.report(new Error(`ledger refused request ${record.id} (${refusal(err)}); kept in ${this.rejected.path}`, { cause: err }));
        // If even that fails the record is lost, but it could never have been written anyway.
        await this.rejected.append([record]).catch((appendError: unknown) => this.report(appendError));
        this.journal.committed([record.id]);
      }
    }
    return true;
  }

  /** Replays the journal's spooled records in order; once all are stored, resumes direct writes. */
  private async replay(): Promise<boolean> {
    try {
      for (const batch of this.journal.spooledBatches(this.options.batchSize)) {
        if (!(await this.store(batch))) {
          this.scheduleRetry();
          return false;
        }
      }
    } catch (err) {
      this.report(err);
      this.scheduleRetry();
      return false;
    }
    this.spooledCount = 0;
    this.spooling = false;
    this.retryDelay = this.retryMinMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return true;
  }

  private startSpooling(): void {
    this.spooling = true;
    this.scheduleRetry();
  }

  private scheduleRetry(delay = this.retryDelay): void {
    if (this.closed || this.retryTimer) return;
    this.retryDelay = Math.min(this.retryDelay * 2, this.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.serial(async () => {
        if (this.spooling && (await this.replay())) await this.drainQueue(true);
      }).catch((err: unknown) => this.report(err));
    }, delay).unref();
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error hook must not break the writer or the request that called write().
    }
  }
}

function refused(err: unknown): boolean {
  return err instanceof InvalidRecordError || isDataError(err);
}

/** What the log says about a refusal: the database's error code (its message may quote the row's values), or the record's fault. */
function refusal(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : (err as Error).name;
}
