import type { StreamEvent } from "../spec/stream-events.js";
import type { Usage } from "../spec/usage.js";

/** Whether these events show the answer has begun (content, a finish or usage): the attempt's commit point. */
export function beginsAnswer(events: readonly StreamEvent[]): boolean {
  for (const e of events) {
    if (e.type === "text-delta" || e.type === "reasoning-delta" || e.type === "tool-call-delta" || e.type === "finish" || e.type === "usage") return true;
  }
  return false;
}

/**
 * Watches the canonical events of one answer: keeps the usage the provider reported
 * and the generated text, so the output can be counted if the usage never comes.
 */
export class UsageTap {
  reported: Usage | undefined;
  /** True once an event carries content, i.e. the answer has begun. */
  started = false;
  private readonly texts: string[] = [];
  /** Frames relayed as they came, unparsed, oldest first: their text is read only when asked for. */
  private readonly unread: Uint8Array[] = [];
  /** Content frames relayed unparsed whose text has not been read. */
  private unreadFrames = 0;
  /** Text events whose text is in `texts`: the tokens per frame the estimate assumes. */
  private textEvents = 0;

  /** `readUnread`: the events of frames relayed unparsed (FrameReader.readUnread), for their text. */
  constructor(private readonly readUnread?: (bytes: Uint8Array) => readonly StreamEvent[]) {}

  /** `withText` false: these events' frames went to `unparsed()` too, and their text is counted from there. */
  observe(events: readonly StreamEvent[], withText = true): void {
    for (const e of events) {
      switch (e.type) {
        case "text-delta":
        case "reasoning-delta":
          if (withText) this.keepText(e.text);
          break;
        case "tool-call-delta":
          if (withText) this.keepCall(e);
          break;
        case "usage":
          // Some providers send cumulative usage more than once; the last one is final.
          this.reported = e.usage;
          break;
      }
    }
    this.started ||= beginsAnswer(events);
  }

  /** Whole frames relayed as they came (`contentFrames` of them unparsed): kept unread, and read for their text only if `output()` is called. */
  unparsed(bytes: Uint8Array, contentFrames: number): void {
    if (bytes.length > 0) this.unread.push(bytes);
    this.unreadFrames += contentFrames;
  }

  /**
   * Output tokens so far, without reading the unread frames: `count` of the text read, plus the
   * unread frames at the tokens per frame of those read (at least one). The journal's progress
   * line wants this every 250 ms of a long stream; reading those frames would parse each of
   * them, all the relay saved. `count(texts)` counts the texts it is given (new ones only, by
   * the caller's own bookkeeping); this adds the unread part.
   */
  outputEstimate(countRead: (texts: readonly string[]) => number): number {
    const read = countRead(this.texts);
    if (this.unreadFrames === 0) return read;
    const perFrame = this.textEvents > 0 ? Math.max(1, read / this.textEvents) : 1;
    return read + Math.round(this.unreadFrames * perFrame);
  }

  /** The generated text so far, in pieces, in order; each call returns the same array, grown. */
  output(): readonly string[] {
    if (this.unread.length === 0 || !this.readUnread) return this.texts;
    // Text only: a usage read back now is older than the one already reported.
    for (const bytes of this.unread.splice(0)) {
      for (const e of this.readUnread(bytes)) {
        if (e.type === "text-delta" || e.type === "reasoning-delta") this.keepText(e.text);
        else if (e.type === "tool-call-delta") this.keepCall(e);
      }
    }
    this.unreadFrames = 0;
    return this.texts;
  }

  private keepText(text: string): void {
    this.texts.push(text);
    this.textEvents++;
  }

  private keepCall(e: StreamEvent & { type: "tool-call-delta" }): void {
    if (e.name) this.texts.push(e.name);
    this.texts.push(e.argumentsDelta);
    this.textEvents++;
  }
}
