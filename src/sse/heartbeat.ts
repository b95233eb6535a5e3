/**
 * Calls `beat` (the relay writes an SSE comment) once nothing was written for `everyMs`, again
 * every `everyMs` of silence. `wrote()` after each write only notes the time: the one timer is
 * moved when it fires, not on every write.
 */
export class Heartbeat {
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly beat: () => void,
  ) {
    this.timer = setTimeout(this.onTimer, everyMs);
  }

  wrote(): void {
    this.last = performance.now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    if (!this.timer) return;
    let now = performance.now();
    if (now - this.last >= this.everyMs) {
      this.beat();
      now = this.last = performance.now();
    }
    // A timer that `beat` stopped (the stream ended) stays stopped. Whole milliseconds, as AttemptTimer's.
    if (this.timer) this.timer = setTimeout(this.onTimer, Math.ceil(this.last + this.everyMs - now));
  };
}
