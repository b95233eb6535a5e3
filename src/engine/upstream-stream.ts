import { Readable } from "node:stream";
import type { UpstreamChunk } from "../spec/stream-events.js";
import type { UpstreamHttpResponse } from "../transport/http-transport.js";
import type { AttemptTimer } from "./attempt-timer.js";
import type { FrameReader } from "./frame-reader.js";
import { failureOf } from "./upstream-failure.js";
import { UsageTap } from "./usage-tap.js";

export type StreamOutcome = "open" | "complete" | "failed" | "cancelled";

/**
 * Receives the frames of a stream, all those of one network read at once (so they can
 * leave in one write); a returned promise makes the stream wait (a slow client).
 */
export interface StreamConsumer {
  chunks(chunks: readonly UpstreamChunk[]): Promise<void> | undefined;
}

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * One upstream stream, pushed through synchronously: each network read is decoded,
 * parsed, tapped for usage and handed to the consumer in the same tick, with no promise
 * per frame. `open()` reads until the first frame with content (holding what came before,
 * so a target that stalls early can still be abandoned); `pipe()` relays the rest, each
 * gap bounded by the idle timeout.
 */
export class UpstreamStream {
  readonly tap = new UsageTap();
  outcome: StreamOutcome = "open";
  error: unknown;
  private readonly body: Readable;
  private readonly held: UpstreamChunk[] = [];
  private consumer: StreamConsumer | undefined;
  private opening: Pending | undefined;
  private piping: Pending | undefined;
  private ended = false;

  constructor(
    private readonly reader: FrameReader,
    private readonly timer: AttemptTimer,
    private readonly response: UpstreamHttpResponse,
  ) {
    this.body = response.body instanceof Readable ? response.body : Readable.from(response.body, { objectMode: false });
  }

  /** Resolves once a frame carries content (or the stream ended empty); rejects if the attempt fails first. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.opening = { resolve, reject };
      this.body.on("data", (bytes: Uint8Array) => this.onData(bytes));
      this.body.on("end", () => this.onEnd());
      this.body.on("error", (err) => this.onBroken(err));
      this.body.on("close", () => this.onBroken(new Error("the upstream connection closed")));
    });
  }

  /** Relays every frame to `consumer`; resolves at the clean end, rejects on failure. */
  pipe(consumer: StreamConsumer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.consumer = consumer;
      // What arrived before the relay began goes out first, even if the stream failed since.
      try {
        if (this.held.length > 0) void consumer.chunks(this.held.splice(0));
      } catch (err) {
        this.fail(err);
      }
      if (this.outcome === "failed") return reject(this.error);
      this.piping = { resolve, reject };
      this.timer.phase("idle", this.timer.timeouts.idleMs);
      if (this.ended) this.complete();
      else this.body.resume();
    });
  }

  /** Stops the upstream if the answer is not complete. Safe to call more than once. */
  dispose(): void {
    if (this.outcome === "open") this.outcome = "cancelled";
    this.timer.dispose();
    if (this.outcome !== "complete") this.response.destroy();
  }

  private onData(bytes: Uint8Array): void {
    if (this.outcome !== "open") return;
    const chunks = this.reader.push(bytes);
    for (const chunk of chunks) {
      this.tap.observe(chunk.events);
      // The first content commits the attempt, even if a failure follows in the same read:
      // its frames go out first, then the failure, inside the stream.
      if (this.opening && this.tap.started) this.opened();
    }
    this.accept(chunks);
    if (this.reader.failure !== undefined) this.fail(this.reader.failure);
  }

  private onEnd(): void {
    if (this.outcome !== "open") return;
    const tail = this.reader.finish();
    for (const chunk of tail) this.tap.observe(chunk.events);
    this.accept(tail);
    if (this.reader.failure !== undefined) return this.fail(this.reader.failure);
    this.ended = true;
    if (this.opening) this.opened();
    else if (this.piping) this.complete();
  }

  /** The body failed or closed early: a cut, unless the answer had already ended properly. */
  private onBroken(err: unknown): void {
    if (this.ended || this.outcome !== "open") return;
    if (this.reader.ended && !this.timer.signal.aborted) return this.onEnd();
    this.fail(failureOf(err, this.timer, this.timer.timeouts));
  }

  private accept(chunks: readonly UpstreamChunk[]): void {
    if (chunks.length === 0) return;
    if (!this.consumer) {
      this.held.push(...chunks);
      return;
    }
    this.timer.touch();
    let wait: Promise<void> | undefined;
    try {
      wait = this.consumer.chunks(chunks);
    } catch (err) {
      return this.fail(err);
    }
    if (wait) {
      // A slow client is not a silent upstream: the idle limit waits while we do.
      this.body.pause();
      this.timer.phase("idle", 0);
      void wait.then(() => {
        if (this.outcome !== "open" || this.ended) return;
        this.timer.phase("idle", this.timer.timeouts.idleMs);
        this.body.resume();
      });
    }
  }

  private opened(): void {
    const opening = this.opening!;
    this.opening = undefined;
    // Nothing more is read until someone relays the answer.
    if (!this.ended) this.body.pause();
    opening.resolve();
  }

  private complete(): void {
    this.outcome = "complete";
    this.timer.dispose();
    this.piping?.resolve();
  }

  private fail(err: unknown): void {
    if (this.outcome !== "open") return;
    this.outcome = "failed";
    this.error = err;
    this.timer.dispose();
    this.response.destroy();
    const waiting = this.opening ?? this.piping;
    this.opening = this.piping = undefined;
    waiting?.reject(err);
  }
}
