import type { UpstreamChunk } from "../spec/stream-events.js";
import type { AnswerStream } from "./answer-stream.js";
import { UsageTap } from "./usage-tap.js";
import type { StreamConsumer, StreamOutcome } from "./upstream-stream.js";

/**
 * An answer the gateway already holds, relayed as a stream: each batch leaves in one
 * write (as the upstream's reads did), waiting whenever the client is slow.
 */
export class ReplayedStream implements AnswerStream {
  readonly tap = new UsageTap();
  outcome: StreamOutcome = "open";
  error: unknown;

  /** `batches`: the chunks of each original network read (or one batch for all); `signal`: the client's. */
  constructor(
    private readonly batches: readonly (readonly UpstreamChunk[])[],
    private readonly signal?: AbortSignal,
  ) {}

  async pipe(consumer: StreamConsumer): Promise<void> {
    try {
      for (const batch of this.batches) {
        // A client that left, or a disposed replay, never gets a clean end.
        this.signal?.throwIfAborted();
        if (this.outcome !== "open") throw new Error("the replay was stopped");
        for (const chunk of batch) this.tap.observe(chunk.events);
        await consumer.chunks(batch);
      }
    } catch (err) {
      if (this.outcome === "open") {
        this.outcome = "failed";
        this.error = err;
      }
      throw err;
    }
    if (this.outcome === "open") this.outcome = "complete";
  }

  dispose(): void {
    if (this.outcome === "open") this.outcome = "cancelled";
  }
}
