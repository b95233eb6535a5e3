import { UpstreamTimeoutError, type TimeoutPhase } from "../errors/upstream-errors.js";
import type { Timeouts } from "../config/resolve.js";

/**
 * Deadlines of one upstream attempt: the current phase's and the total, on one timer. Every
 * limit and the caller's own signal (the client leaving, shutdown) abort the same controller,
 * whose reason says why.
 *
 * The timer is armed for the nearest deadline and moved only when a deadline comes nearer: a
 * new phase that ends later (headers, then first token, then idle) and `touch()` after each
 * read only note times. When the timer fires it compares the deadlines with the clock, aborts
 * for the one that passed or sleeps again for what is left. A stream thus costs one timer, not
 * a clearTimeout and setTimeout per phase and a refresh per read.
 */
export class AttemptTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires, on performance.now()'s clock (Infinity: not armed). */
  private firesAt = Number.POSITIVE_INFINITY;
  private readonly totalAt: number;
  private phaseName: TimeoutPhase = "headers";
  /** The current phase's limit (0: none), counted from `phaseFrom`. */
  private phaseLimitMs = 0;
  private phaseFrom = 0;
  private disposed = false;
  private readonly onParentAbort: () => void;
  readonly startedAt = performance.now();

  /** `first`: the phase that begins at once (a stream's headers), armed with the total in one timer. */
  constructor(
    readonly timeouts: Timeouts,
    private readonly parent: AbortSignal,
    first?: { phase: TimeoutPhase; limitMs: number },
  ) {
    this.onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.onParentAbort();
    else parent.addEventListener("abort", this.onParentAbort, { once: true });
    this.totalAt = timeouts.totalMs > 0 ? this.startedAt + timeouts.totalMs : Number.POSITIVE_INFINITY;
    if (first) {
      this.phaseName = first.phase;
      this.phaseLimitMs = first.limitMs;
      this.phaseFrom = this.startedAt;
    }
    this.arm(Math.min(this.phaseAt(), this.totalAt));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the limit of a phase, measured from now unless `elapsedMs` of it already passed. */
  phase(phase: TimeoutPhase, limitMs: number, elapsedMs = 0): void {
    this.phaseName = phase;
    this.phaseLimitMs = limitMs;
    this.phaseFrom = performance.now() - elapsedMs;
    this.arm(this.phaseAt());
  }

  /** Restarts the current phase's limit (the idle gap after each event): only the time is noted. */
  touch(): void {
    this.phaseFrom = performance.now();
  }

  /** Safe to call more than once (the stream ends, then its attempt is closed). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parent.removeEventListener("abort", this.onParentAbort);
  }

  private phaseAt(): number {
    return this.phaseLimitMs > 0 ? this.phaseFrom + this.phaseLimitMs : Number.POSITIVE_INFINITY;
  }

  /** Makes the timer fire no later than `at`. */
  private arm(at: number): void {
    if (at >= this.firesAt || at === Number.POSITIVE_INFINITY || this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.firesAt = at;
    // Whole milliseconds: node keeps one list per duration, so the attempts' timers of one limit
    // share it (added and removed in constant time); a fraction made each a list of its own, in
    // node's priority queue of lists. Firing up to a millisecond late is fine: `onTimer` checks.
    this.timer = setTimeout(this.onTimer, Math.ceil(at - performance.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.firesAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const phaseAt = this.phaseAt();
    if (now >= phaseAt && phaseAt <= this.totalAt) return this.expire(this.phaseName, this.phaseLimitMs);
    if (now >= this.totalAt) return this.expire("total", this.timeouts.totalMs);
    // Fired for a deadline that moved on (a read since, a later phase): sleep until the nearest one.
    this.arm(Math.min(phaseAt, this.totalAt));
  };

  private expire(phase: TimeoutPhase, limitMs: number): void {
    this.controller.abort(new UpstreamTimeoutError(phase, limitMs));
  }
}
