import type { UsageTap } from "./usage-tap.js";
import type { StreamConsumer, StreamOutcome } from "./upstream-stream.js";

/**
 * A streamed answer as the relay sees it: live from an upstream (UpstreamStream) or
 * replayed from chunks the gateway already holds (ReplayedStream: a cache hit, an
 * idempotent replay, an answer produced by a multi-step loop).
 */
export interface AnswerStream {
  /** Usage reported inside the stream and the text generated so far. */
  readonly tap: UsageTap;
  readonly outcome: StreamOutcome;
  readonly error: unknown;
  /** Relays every frame to `consumer`; resolves at the clean end, rejects on failure. */
  pipe(consumer: StreamConsumer): Promise<void>;
  /** Stops the answer if it is not complete. Safe to call more than once. */
  dispose(): void;
}
