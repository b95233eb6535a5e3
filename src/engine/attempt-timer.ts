import { UpstreamTimeoutError, type TimeoutPhase } from "../errors/upstream-errors.js";
import type { Timeouts } from "../config/resolve.js";

/**
 * Deadlines of one upstream attempt. Every phase limit and the caller's own signal
 * (the client leaving, shutdown) abort the same controller, whose reason says why.
 */
export class AttemptTimer {
  private readonly controller = new AbortController();
  private phaseTimer: NodeJS.Timeout | undefined;
  private readonly totalTimer: NodeJS.Timeout | undefined;
  private readonly onParentAbort: () => void;
  readonly startedAt = performance.now();

  constructor(
    readonly timeouts: Timeouts,
    private readonly parent: AbortSignal,
  ) {
    this.onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.onParentAbort();
    else parent.addEventListener("abort", this.onParentAbort, { once: true });
    if (timeouts.totalMs > 0) this.totalTimer = setTimeout(() => this.expire("total", timeouts.totalMs), timeouts.totalMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the limit of a phase, measured from now unless `elapsedMs` of it already passed. */
  phase(phase: TimeoutPhase, limitMs: number, elapsedMs = 0): void {
    if (this.phaseTimer) clearTimeout(this.phaseTimer);
    this.phaseTimer = limitMs > 0 ? setTimeout(() => this.expire(phase, limitMs), Math.max(0, limitMs - elapsedMs)) : undefined;
  }

  /** Restarts the current phase's limit (the idle gap after each event). */
  touch(): void {
    this.phaseTimer?.refresh();
  }

  dispose(): void {
    if (this.phaseTimer) clearTimeout(this.phaseTimer);
    if (this.totalTimer) clearTimeout(this.totalTimer);
    this.parent.removeEventListener("abort", this.onParentAbort);
  }

  private expire(phase: TimeoutPhase, limitMs: number): void {
    this.controller.abort(new UpstreamTimeoutError(phase, limitMs));
  }
}
