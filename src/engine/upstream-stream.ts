import type { FrameRewrite, UpstreamChunk } from "../spec/stream-events.js";
import type { UpstreamHttpResponse } from "../transport/http-transport.js";
import type { AttemptTimer } from "./attempt-timer.js";
import type { FrameReader, FramesRead } from "./frame-reader.js";
import { failureOf } from "./upstream-failure.js";
import { UsageTap } from "./usage-tap.js";

export type StreamOutcome = "open" | "complete" | "failed" | "cancelled";

/**
 * Receives the frames of a stream, all those of one network read at once (so they can
 * leave in one write); a returned promise makes the stream wait (a slow client).
 */
export interface StreamConsumer {
  chunks(chunks: readonly UpstreamChunk[]): Promise<void> | undefined;
  /**
   * Offered when the client may have the upstream's bytes as they came (nothing would change a
   * frame, nothing keeps them): a stream that can calls this instead of `chunks`, with the whole
   * frames of each network read; a returned promise makes it wait, as for `chunks`.
   */
  bytes?(bytes: Uint8Array): Promise<void> | undefined;
  /** With `bytes`: how each frame goes out, when not as it came. */
  rewrite?: FrameRewrite;
}

/**
 * Parts in order as one: a view when each starts where the one before ends in the same memory (a
 * read split at the commit point), else a copy.
 */
function joined(parts: readonly Uint8Array[]): Uint8Array {
  const first = parts[0]!;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.buffer !== first.buffer || part.byteOffset !== end) return Buffer.concat(parts);
    end += part.byteLength;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
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
 * gap bounded by the idle timeout: as parsed frames, or, to a consumer that takes `bytes`,
 * as the upstream's own bytes, with only the frames that may carry more than content parsed.
 * What comes after the first content waits for `pipe()` to say which, unread (in the reader),
 * and so does the body's end: a short answer arrives whole with its first content.
 */
export class UpstreamStream {
  readonly tap: UsageTap;
  outcome: StreamOutcome = "open";
  error: unknown;
  private readonly held: UpstreamChunk[] = [];
  /** The bytes of the held frames (each read's, with where its frames end), when the reader cuts frames on the bytes. */
  private readonly heldBytes: FramesRead[] = [];
  private consumer: StreamConsumer | undefined;
  /** The consumer takes the upstream's bytes as they came; only frames that may carry more than content are parsed. */
  private unread = false;
  private opening: Pending | undefined;
  private piping: Pending | undefined;
  private ended = false;
  /** Past the commit point, before `pipe()`. */
  private waiting = false;
  /** The body ended or broke while `waiting`: handled once the relay began. */
  private waitedEnd: (() => void) | undefined;

  constructor(
    private readonly reader: FrameReader,
    private readonly timer: AttemptTimer,
    private readonly response: UpstreamHttpResponse,
  ) {
    this.tap = new UsageTap((bytes) => reader.readUnread(bytes));
    reader.relayLater();
  }

  /** Resolves once a frame carries content (or the stream ended empty); rejects if the attempt fails first. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.opening = { resolve, reject };
      this.response.body.listen({ data: (bytes) => this.onData(bytes), end: () => this.onEnd(), error: (err) => this.onBroken(err) });
    });
  }

  /** Relays every frame to `consumer`; resolves at the clean end, rejects on failure. */
  pipe(consumer: StreamConsumer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.unread = this.reader.relayAs(consumer.bytes !== undefined, consumer.rewrite);
      this.waiting = false;
      // What waited, read now as the relay takes it, joins what is held.
      if (this.outcome === "open") this.onRead(this.reader.waited());
      const end = this.waitedEnd;
      this.waitedEnd = undefined;
      end?.();
      this.consumer = consumer;
      // What arrived before the relay began goes out first, even if the stream failed since.
      try {
        if (this.unread) {
          // Tapped as they were read: by their parsed text before the relay began, by their bytes since.
          const held = this.heldBytes.splice(0);
          // Those read before the relay began are rewritten now; the frames that waited for it, as they were read.
          const bytes = held.length === 0 ? undefined : joined(held.map((read) => (consumer.rewrite && read.frames ? this.reader.rewritten(read) : read.bytes!)));
          if (bytes && bytes.length > 0) void consumer.bytes!(bytes);
        } else {
          this.heldBytes.length = 0;
          if (this.held.length > 0) void consumer.chunks(this.held.splice(0));
        }
      } catch (err) {
        this.fail(err);
      }
      if (this.outcome === "failed") return reject(this.error);
      this.piping = { resolve, reject };
      this.timer.phase("idle", this.timer.timeouts.idleMs);
      if (this.ended) this.complete();
      else this.response.body.resume();
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
    this.onRead(this.reader.push(bytes));
  }

  /** One read's frames: tapped, then handed on (or held until the relay begins). */
  private onRead(read: FramesRead): void {
    for (const chunk of read.chunks) {
      this.tap.observe(chunk.events, !this.unread);
      // The first content commits the attempt, even if a failure follows in the same read:
      // its frames go out first, then the failure, inside the stream.
      if (this.opening && this.tap.started) this.opened();
    }
    // Frames passed on as they came: their text is read from their bytes, if it is wanted.
    if (this.unread && read.bytes) this.tap.unparsed(read.bytes, read.unread);
    this.accept(read);
    if (this.reader.failure !== undefined) this.fail(this.reader.failure);
  }

  private onEnd(): void {
    if (this.outcome !== "open") return;
    // Whether it ended cleanly depends on frames that wait unread.
    if (this.waiting) {
      this.waitedEnd ??= () => this.onEnd();
      return;
    }
    this.onRead(this.reader.finish());
    if (this.outcome !== "open") return;
    this.ended = true;
    if (this.opening) this.opened();
    else if (this.piping) this.complete();
  }

  /** The body failed (a reset, a close before its end): a cut, unless the answer had already ended properly. */
  private onBroken(err: unknown): void {
    if (this.ended || this.outcome !== "open") return;
    if (this.waiting) {
      this.waitedEnd ??= () => this.onBroken(err);
      return;
    }
    if (this.reader.ended && !this.timer.signal.aborted) return this.onEnd();
    this.fail(failureOf(err, this.timer, this.timer.timeouts));
  }

  private accept(read: FramesRead): void {
    const { chunks, bytes, unread } = read;
    const consumer = this.consumer;
    if (!consumer) {
      this.held.push(...chunks);
      if (read.bytes && read.bytes.length > 0) this.heldBytes.push(read);
      return;
    }
    // Content moves the idle limit on, even what a rewrite leaves out; the upstream's own comments do not.
    if (chunks.length > 0 || unread > 0) this.timer.touch();
    if (this.unread ? !bytes || bytes.length === 0 : chunks.length === 0) return;
    let wait: Promise<void> | undefined;
    try {
      wait = this.unread ? consumer.bytes!(bytes!) : consumer.chunks(chunks);
    } catch (err) {
      return this.fail(err);
    }
    if (wait) {
      // A slow client is not a silent upstream: the idle limit waits while we do.
      this.response.body.pause();
      this.timer.phase("idle", 0);
      void wait.then(() => {
        if (this.outcome !== "open" || this.ended) return;
        this.timer.phase("idle", this.timer.timeouts.idleMs);
        this.response.body.resume();
      });
    }
  }

  private opened(): void {
    const opening = this.opening!;
    this.opening = undefined;
    this.waiting = true;
    // Nothing more is read until someone relays the answer.
    if (!this.ended) this.response.body.pause();
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
