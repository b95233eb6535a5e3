import { UpstreamConnectionError } from "../errors/upstream-errors.js";
import type { MessageDecoder, ProviderAdapter, StreamParser } from "../providers/provider.js";
import type { FrameRewrite, StreamEvent, UpstreamChunk } from "../spec/stream-events.js";
import { SseDecoder, type SseMessage } from "../sse/decoder.js";
import { type SseFrames, SseFrameSplitter } from "../sse/frame-splitter.js";
import { RewrittenFrames } from "./rewritten-frames.js";
import { beginsAnswer } from "./usage-tap.js";

/** What one network read (or the body's end) gave. */
export interface FramesRead {
  /** The frames parsed, in order. */
  readonly chunks: readonly UpstreamChunk[];
  /**
   * For a stream cut into frames on its bytes: those of the frames read, as they came (or as the
   * relay's rewrite makes them), that the relay passes on; an end marker the parser answers with
   * null, a frame that failed, and what follows either are left out. Undefined otherwise.
   */
  readonly bytes?: Uint8Array;
  /** How many of them went unparsed (content only), once the relay takes them unread (`relayAs`). */
  readonly unread: number;
  /** Read before the relay said how it takes them (`relayLater`): each frame in `bytes`, for a rewrite then (`rewritten`). */
  readonly frames?: readonly ReadFrame[];
}

/** One frame passed on: where it ends in its read's bytes, and what it parsed into (none: no message). */
interface ReadFrame {
  readonly end: number;
  readonly chunk: UpstreamChunk | undefined;
}

const NONE: readonly UpstreamChunk[] = [];
const NOTHING: FramesRead = { chunks: NONE, unread: 0 };
const NONE_MESSAGES: readonly SseMessage[] = [];
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Bytes of one upstream stream in, canonical frames out, synchronously. Knows when the
 * stream ended properly: at the provider's end marker, or for formats without one
 * (Gemini), once every choice that began has finished. An SSE stream whose provider can tell
 * content frames at a glance is cut into frames on its bytes, so that the relay can pass them
 * on as they came (`relayAs`); others are decoded as one text.
 */
export class FrameReader {
  private decoder: MessageDecoder | undefined;
  /** Set while frames are cut on the bytes: each whole frame is then decoded on its own. */
  private framed: { splitter: SseFrameSplitter; sse: SseDecoder } | undefined;
  private readonly parser: StreamParser;
  private readonly progress: ChoiceProgress | undefined;
  private first = true;
  private unread = false;
  /** A frame showed the answer has begun (the commit point). */
  private committed = false;
  /** Between `relayLater` and `relayAs`. */
  private undecided = false;
  /** Whole frames read after the commit point while `undecided`: they wait for `relayAs`, unread. */
  private waiting: SseFrames | undefined;
  /** The frames that waited, read once `relayAs` said how (`waited`). */
  private waitedRead = NOTHING;
  /** How the relay takes each frame passed on, when not as it came (`relayAs`). */
  private rewrite: FrameRewrite | undefined;
  /** Reads the frames passed on unparsed, if their text is ever wanted. */
  private later: { sse: SseDecoder; parser: StreamParser } | undefined;
  /** The end marker (or a final frame) arrived; anything after it is drained unread. */
  ended = false;
  /** A frame that could not be parsed (or reported an error); the frames before it were returned. */
  failure: unknown;

  constructor(private readonly adapter: ProviderAdapter) {
    this.parser = adapter.streamParser?.() ?? adapter;
    this.progress = adapter.hasEndMarker ? undefined : new ChoiceProgress();
    if (adapter.contentOnlyFrames && adapter.hasEndMarker && !adapter.messageDecoder) this.framed = { splitter: new SseFrameSplitter(), sse: new SseDecoder() };
    else this.decoder = adapter.messageDecoder?.() ?? new SseDecoder();
  }

  push(bytes: Uint8Array): FramesRead {
    if (this.ended || this.failure !== undefined) return NOTHING;
    if (!this.framed) return { chunks: this.frames(this.decode(() => this.decoder!.push(bytes))), unread: 0 };
    const split = this.framed.splitter.push(bytes);
    return split ? this.readFrames(split) : NOTHING;
  }

  /**
   * A relay will say how it takes the frames (`relayAs`), once it begins: until then, the frames
   * after the commit point (the first content) wait, unread. A short answer comes whole in the
   * read that commits it, and the relay may need none of its content parsed.
   */
  relayLater(): void {
    this.undecided = true;
  }

  /**
   * How the relay takes the rest, once it begins; returns whether unread. Unread (only for a
   * stream cut on its bytes): frames that carry content only are passed over unparsed, still in
   * `bytes`. Parsed: the rest is decoded as one text, as any stream is (cheaper than frame by
   * frame), and `bytes` is no longer given. Either way the frames that waited are read so first,
   * for `waited()`. `rewrite` (unread only): how each frame passed on goes out in `bytes`.
   */
  relayAs(unread: boolean, rewrite?: FrameRewrite): boolean {
    this.undecided = false;
    if (!this.framed) return false;
    this.unread = unread;
    if (unread) this.rewrite = rewrite;
    if (this.waiting) {
      const read = this.readFrames(this.waiting);
      this.waiting = undefined;
      this.waitedRead = unread ? read : { chunks: read.chunks, unread: 0 };
    }
    if (unread) return true;
    const { splitter, sse } = this.framed;
    this.framed = undefined;
    this.decoder = sse;
    // An unfinished frame: the decoder holds it as the splitter did, and has no message yet.
    sse.push(splitter.rest());
    return false;
  }

  /** The bytes of one read made before `relayAs` (its `frames`), as its rewrite makes each frame. */
  rewritten({ bytes, frames }: FramesRead): Buffer {
    const read = Buffer.from(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength);
    const out = new RewrittenFrames(read, read.toString("latin1"), this.rewrite!);
    let from = 0;
    for (const { end, chunk } of frames!) {
      out.add(from, end, chunk);
      from = end;
    }
    return out.result();
  }

  /** The frames that waited for `relayAs`, read as it said; once. */
  waited(): FramesRead {
    const read = this.waitedRead;
    this.waitedRead = NOTHING;
    return read;
  }

  /**
   * The events of frames passed on unparsed (`bytes` of earlier reads), read only once they are
   * wanted (the text of an answer cut before its usage): by a parser of their own, which sees
   * them all in order, so the stream's parser is not disturbed.
   */
  readUnread(bytes: Uint8Array): StreamEvent[] {
    const later = (this.later ??= { sse: new SseDecoder(), parser: this.adapter.streamParser?.() ?? this.adapter });
    const events: StreamEvent[] = [];
    for (const message of later.sse.whole(bytes)) {
      try {
        const chunk = later.parser.parseStreamMessage(message, false);
        if (chunk) events.push(...chunk.events);
      } catch {
        // A frame that went out as it came and does not parse holds no text to count.
      }
    }
    return events;
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

  /** The last frames when the body ends; a cut stream shows as `failure`. After `relayLater`, only once `relayAs` was called. */
  finish(): FramesRead {
    if (this.failure !== undefined) return NOTHING;
    let tail = NOTHING;
    if (this.ended) {
      // Drained unread.
    } else if (this.framed) {
      // Cut on the bytes, an unfinished frame is dropped, as the decoder drops a message without its blank line.
      const last = this.framed.splitter.end();
      if (last) tail = this.readFrames(last);
    } else {
      const chunks = this.frames(this.decode(() => this.decoder!.end()));
      if (chunks.length > 0) tail = { chunks, unread: 0 };
    }
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
    for (const message of messages) if (!this.take(message, out) || this.ended) break;
    return out;
  }

  /**
   * The whole frames of one read, one by one: parsed, or (relaying unread) passed over when they
   * carry content only; those past the commit point wait while the relay has not said how it takes
   * them (`relayLater`). Relaying unread with a rewrite, the frames passed on are rewritten in `bytes`.
   */
  private readFrames(frames: SseFrames): FramesRead {
    const { bytes, text, ends } = frames;
    const content = this.unread ? this.adapter.contentOnlyFrames!(text, ends) : undefined;
    // Before the relay decides, each frame passed on is noted, for a rewrite then.
    const noted: ReadFrame[] | undefined = this.undecided ? [] : undefined;
    const chunks: UpstreamChunk[] = [];
    let unread = 0;
    let from = 0;
    // The end of the last frame passed on.
    let through = 0;
    const out = this.rewrite ? new RewrittenFrames(bytes, text, this.rewrite) : undefined;
    for (let i = 0; i < ends.length; i++) {
      if (this.committed && this.undecided) {
        this.wait(frames, i, from);
        break;
      }
      const end = ends[i]!;
      let chunk: UpstreamChunk | undefined;
      if (content?.[i]) unread++;
      else {
        const message = this.message(frames, from, end);
        if (this.failure !== undefined || (message && !this.take(message, chunks))) break;
        if (message) chunk = chunks[chunks.length - 1];
      }
      if (out) {
        try {
          out.add(from, end, chunk);
        } catch (err) {
          this.failure = err;
          break;
        }
      }
      noted?.push({ end, chunk });
      through = from = end;
      if (this.ended) break;
    }
    const passed = out ? out.result() : through === bytes.length ? bytes : bytes.subarray(0, through);
    return noted ? { chunks, bytes: passed, unread, frames: noted } : { chunks, bytes: passed, unread };
  }

  /**
   * The message of the whole frame [from, end) of a read (a whole frame holds one at most; none:
   * comments only). A frame of ASCII only is its own UTF-8 text: decoded from the read's latin1
   * text as it stands, with no copy of its bytes and no decoder.
   */
  private message({ bytes, text }: SseFrames, from: number, end: number): SseMessage | undefined {
    const { sse } = this.framed!;
    try {
      const frame = text.slice(from, end);
      return (NON_ASCII.test(frame) ? sse.whole(bytes.subarray(from, end)) : sse.wholeText(frame))[0];
    } catch (err) {
      this.failure = err;
      return undefined;
    }
  }

  /** Frames `i` on (from byte `from`) wait for `relayAs`, after any that already do. */
  private wait({ bytes, text, ends }: SseFrames, i: number, from: number): void {
    const rest = { bytes: bytes.subarray(from), text: text.slice(from), ends: ends.slice(i).map((end) => end - from) };
    const before = this.waiting;
    this.waiting = before ? { bytes: Buffer.concat([before.bytes, rest.bytes]), text: before.text + rest.text, ends: [...before.ends, ...rest.ends.map((end) => end + before.bytes.length)] } : rest;
  }

  /** Parses one message into `out`; false when it is not passed on: the end marker, or a failure (kept). */
  private take(message: SseMessage, out: UpstreamChunk[]): boolean {
    let chunk: UpstreamChunk | null;
    try {
      chunk = this.parser.parseStreamMessage(message, this.first);
    } catch (err) {
      this.failure = err;
      return false;
    }
    if (chunk === null) {
      this.ended = true;
      return false;
    }
    if (this.first) stampCreated(chunk.events);
    this.first = false;
    if (!this.committed) this.committed = beginsAnswer(chunk.events);
    // A final frame carries content and ends the stream at once.
    if (chunk.final) this.ended = true;
    this.progress?.observe(chunk.events);
    out.push(chunk);
    return true;
  }
}

/**
 * An answer whose upstream sends no creation time (Gemini, Bedrock) gets the time it arrived,
 * once: a cached or idempotent replay then carries the same `created` as the live answer.
 */
function stampCreated(events: StreamEvent[]): void {
  for (const e of events) if (e.type === "response-start" && !e.created) e.created = Math.floor(Date.now() / 1000);
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
