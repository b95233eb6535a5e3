import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** The worker's file beside this one: `.ts` under vitest (Node strips its types), `.js` in dist. */
const WORKER_URL = new URL(`./sqlite-read-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
/** An idle worker (its thread and connection) is stopped after this long; the next read starts another. */
const IDLE_MS = 10_000;

interface Reply {
  rows?: unknown[][];
  error?: string;
}

interface Running {
  worker: Worker;
  resolve(rows: unknown[][]): void;
  reject(err: unknown): void;
}

/**
 * Read-only statements on a SQLite file, run in a worker thread on a connection of its own,
 * one at a time: a long aggregate never holds the event loop. With WAL, it reads the last
 * committed state while the store's own connection goes on writing.
 */
export class SqliteReader {
  private worker: Worker | undefined;
  private running: Running | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly file: string) {}

  /** `sql` with `?NNN` placeholders, `params` bound by name; rows as arrays, integers as BigInt. */
  query(sql: string, params: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<unknown[][]> {
    const result = this.tail.then(() => this.run(sql, params, signal));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker; a read waiting or under way rejects. A statement the thread is inside finishes there first. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idle);
    const worker = this.worker;
    this.fail(new Error("the SQLite store is closed"));
    await worker?.terminate();
  }

  private async run(sql: string, params: Record<string, unknown> | undefined, signal: AbortSignal | undefined): Promise<unknown[][]> {
    if (this.closed) throw new Error("the SQLite store is closed");
    signal?.throwIfAborted();
    clearTimeout(this.idle);
    const worker = this.start();
    // Keeps the process alive while a read is under way, not while the worker waits for the next.
    worker.ref();
    const onAbort = () => this.fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await new Promise<unknown[][]>((resolve, reject) => {
        this.running = { worker, resolve, reject };
        worker.postMessage({ sql, params });
      });
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.running = undefined;
      if (this.worker === worker) {
        worker.unref();
        this.idle = setTimeout(() => this.fail(undefined), IDLE_MS).unref();
      }
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL, { workerData: { file: this.file } });
    worker.on("message", (reply: Reply) => {
      const running = this.running;
      if (running?.worker !== worker) return;
      if (reply.error !== undefined) running.reject(new Error(reply.error));
      else running.resolve(reply.rows ?? []);
    });
    // A worker that cannot start (its file, the database) or dies fails the read under way; the next read starts another.
    worker.on("error", (err) => this.fail(err, worker));
    worker.on("exit", (code) => this.fail(new Error(`the SQLite read worker exited (code ${code})`), worker));
    this.worker = worker;
    return worker;
  }

  /**
   * Drops the worker (only `worker`, when given: an old worker's last events touch nothing), stops
   * its thread, and rejects the read under way with `err` (none: the worker was idle).
   */
  private fail(err: unknown, worker = this.worker): void {
    if (!worker || worker !== this.worker) return;
    this.worker = undefined;
    clearTimeout(this.idle);
    void worker.terminate();
    if (this.running?.worker === worker) this.running.reject(err);
  }
}
