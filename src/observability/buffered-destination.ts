/** What the buffer writes through: a pino destination (sonic-boom) writing asynchronously. */
export interface TextSink {
  write(text: string): unknown;
  /** Calls back once everything handed over is written. */
  flush(callback: (err?: Error) => void): void;
  /** Writes what it holds, synchronously. */
  flushSync(): void;
}

/** The longest a written line waits for more to join it. */
export const MAX_DELAY_MS = 100;

/**
 * Log lines held in memory and handed to the sink together: once `bufferBytes` are pending
 * (counted in UTF-16 units: close enough for a bound; 0: each line at once), or MAX_DELAY_MS
 * after the first line that is still pending. One write per ~4 KB instead of one per line is most of what a log
 * line costs (docs/benchmarks.md, "Sixth session: buffered log writes"). The pending text is
 * one concatenated string: joining costs nothing until the write flattens it once.
 *
 * Written synchronously (through `now`, a synchronous writer to the same file) before the
 * process exits, before Node reports an uncaught exception, and by `flushSync` (pino's fatal
 * calls it after the line). A SIGKILL loses what is pending, and what the sink holds.
 */
export class BufferedDestination {
  private pending = "";
  // Armed whenever text is pending (a write arms it), so pending text is never left behind;
  // not cleared by a size-triggered write: it fires at most once more, with nothing to do.
  private timer: NodeJS.Timeout | undefined;
  private readonly onTimer = () => {
    this.timer = undefined;
    this.writePending();
  };

  constructor(
    private readonly sink: TextSink,
    private readonly now: { write(text: string): unknown },
    private readonly bufferBytes: number,
  ) {
    flushOnExit(this);
  }

  write(line: string): boolean {
    this.pending += line;
    if (this.pending.length >= this.bufferBytes) this.writePending();
    else if (this.timer === undefined) this.timer = setTimeout(this.onTimer, MAX_DELAY_MS).unref();
    return true;
  }

  /** Hands the pending text to the sink and calls back once the sink has written everything. */
  flush(callback?: (err?: Error) => void): void {
    this.writePending();
    this.sink.flush(callback ?? (() => {}));
  }

  /**
   * What the sink holds (older), then the pending text, written before this returns. A write the
   * sink has in flight in the thread pool is not waited for: if the process exits now, it may be lost.
   */
  flushSync(): void {
    const text = this.pending;
    this.pending = "";
    try {
      this.sink.flushSync();
    } finally {
      // Also when the sink is closed (pino ends it when the event loop runs dry): the lines are still ours to write.
      if (text !== "") this.now.write(text);
    }
  }

  private writePending(): void {
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    try {
      this.sink.write(text);
    } catch {
      // The sink is closed: pino ends its destinations when the event loop runs dry ('beforeExit'),
      // and a host's beforeExit work (a gateway.close()) may still log.
      this.now.write(text);
    }
  }
}

// Weak: a logger its gateway dropped is not kept for the exit. Its pending text is safe meanwhile:
// the armed timer holds it until it writes.
const live = new Set<WeakRef<BufferedDestination>>();
const forget = new FinalizationRegistry<WeakRef<BufferedDestination>>((ref) => live.delete(ref));

let hooked = false;

function flushAll(): void {
  for (const ref of live) {
    try {
      ref.deref()?.flushSync();
    } catch {
      // A sink that can no longer be written (closed, a broken pipe) keeps nothing worth a crash on the way out.
    }
  }
}

function flushOnExit(destination: BufferedDestination): void {
  if (!hooked) {
    hooked = true;
    process.on("exit", flushAll);
    // Before Node prints the exception and exits: the lines logged before it come first.
    process.on("uncaughtExceptionMonitor", flushAll);
  }
  const ref = new WeakRef(destination);
  live.add(ref);
  forget.register(destination, ref);
}
