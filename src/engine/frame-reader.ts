import { UpstreamConnectionError } from "../errors/upstream-errors.js";
import type { MessageDecoder, ProviderAdapter, StreamParser } from "../providers/provider.js";
import type { StreamEvent, UpstreamChunk } from "../spec/stream-events.js";
import { SseDecoder, type SseMessage } from "../sse/decoder.js";

const NONE: readonly UpstreamChunk[] = [];
const NONE_MESSAGES: readonly SseMessage[] = [];

/**
 * Bytes of one upstream stream in, canonical frames out, synchronously. Knows when the
 * stream ended properly: at the provider's end marker, or for formats without one
 * (Gemini), once every choice that began has finished.
 */
export class FrameReader {
  private readonly decoder: MessageDecoder;
  private readonly parser: StreamParser;
  private readonly progress: ChoiceProgress | undefined;
  private first = true;
  /** The end marker (or a final frame) arrived; anything after it is drained unread. */
  ended = false;
  /** A frame that could not be parsed (or reported an error); the frames before it were returned. */
  failure: unknown;

  constructor(private readonly adapter: ProviderAdapter) {
    this.decoder = adapter.messageDecoder?.() ?? new SseDecoder();
    this.parser = adapter.streamParser?.() ?? adapter;
    this.progress = adapter.hasEndMarker ? undefined : new ChoiceProgress();
  }

  push(bytes: Uint8Array): readonly UpstreamChunk[] {
    return this.ended || this.failure !== undefined ? NONE : this.frames(this.decode(() => this.decoder.push(bytes)));
  }

  /** A binary framing can be corrupt (a bad checksum): that is a failure like an unparsable message. */
  private decode(read: () => SseMessage[]): readonly SseMessage[] {
    try {
      return read();
    } catch (err) {
      this.failure = err;
      return NONE_MESSAGES;
    }
  }

  /** The last frames when the body ends; a cut stream shows as `failure`. */
  finish(): readonly UpstreamChunk[] {
    if (this.failure !== undefined) return NONE;
    const tail = this.ended ? NONE : this.frames(this.decode(() => this.decoder.end()));
    if (this.failure === undefined) this.failure = this.cut();
    return tail;
  }

  private cut(): unknown {
    if (this.adapter.hasEndMarker && !this.ended) return new UpstreamConnectionError("The upstream closed the stream before its end marker.");
    // Without an end marker the connection closing is the end, clean or not: only finish events tell.
    if (this.progress && !this.progress.complete) return new UpstreamConnectionError("The upstream closed the stream before the answer finished.");
    return undefined;
  }

  /** Parses messages in order; stops at the first that fails, keeping the failure for the caller. */
  private frames(messages: readonly SseMessage[]): readonly UpstreamChunk[] {
    if (messages.length === 0) return NONE;
    const out: UpstreamChunk[] = [];
    for (const message of messages) {
      let chunk: UpstreamChunk | null;
      try {
        chunk = this.parser.parseStreamMessage(message, this.first);
      } catch (err) {
        this.failure = err;
        break;
      }
      if (chunk === null) {
        this.ended = true;
        break;
      }
      this.first = false;
      // A final frame carries content and ends the stream at once.
      if (chunk.final) this.ended = true;
      this.progress?.observe(chunk.events);
      out.push(chunk);
      if (this.ended) break;
    }
    return out;
  }
}

/** Which choices began and which finished, for streams that have no end marker. */
class ChoiceProgress {
  private readonly begun = new Set<number>();
  private readonly finished = new Set<number>();

  observe(events: readonly StreamEvent[]): void {
    for (const e of events) {
      if (e.type === "finish") this.finished.add(e.choice);
      else if (e.type === "text-delta" || e.type === "reasoning-delta" || e.type === "tool-call-delta") this.begun.add(e.choice);
    }
  }

  /** A finish came, and for every choice that began. */
  get complete(): boolean {
    if (this.finished.size === 0) return false;
    for (const choice of this.begun) if (!this.finished.has(choice)) return false;
    return true;
  }
}
