import type { UpstreamChunk } from "../spec/stream-events.js";
import type { AttemptTimer } from "./attempt-timer.js";
import type { UpstreamHttpResponse } from "../providers/transport.js";
import { UsageTap } from "./usage-tap.js";

export type StreamOutcome = "open" | "complete" | "failed" | "cancelled";

/**
 * An upstream stream that has begun: the frames held before the first content
 * (already tapped by whoever held them), then the rest, each gap bounded by the idle timeout and every event tapped for usage.
 */
export class UpstreamStream implements AsyncIterable<UpstreamChunk> {
  readonly tap = new UsageTap();
  outcome: StreamOutcome = "open";
  error: unknown;

  constructor(
    private readonly held: UpstreamChunk[],
    private readonly rest: AsyncGenerator<UpstreamChunk, void>,
    private readonly timer: AttemptTimer,
    private readonly response: UpstreamHttpResponse,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<UpstreamChunk, void> {
    try {
      yield* this.held;
      this.timer.phase("idle", this.timer.timeouts.idleMs);
      for (;;) {
        const next = await this.rest.next();
        if (next.done) break;
        this.timer.touch();
        this.tap.observe(next.value.events);
        yield next.value;
      }
      this.outcome = "complete";
    } catch (err) {
      this.outcome = "failed";
      this.error = err;
      throw err;
    } finally {
      // Reached when the consumer stops early too (client gone): stop the upstream.
      if (this.outcome === "open") this.outcome = "cancelled";
      this.close();
    }
  }

  /** Stops the upstream request if it is still running. Safe to call more than once. */
  close(): void {
    this.timer.dispose();
    if (this.outcome !== "complete") this.response.destroy();
  }
}
