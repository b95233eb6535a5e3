import type { FrameRewrite, UpstreamChunk } from "../spec/stream-events.js";

/** Frames joined as text before they are written out as bytes: a rope of thousands of pieces (a whole answer in one read) costs more to flatten than to rewrite. */
const FRAMES_PER_PART = 64;

/**
 * The bytes of one read's frames as a rewrite makes them, assembled frame by frame: the read's own
 * bytes while no frame has changed, then the frames as the rewrite gave them (latin1 text: a
 * character per byte, as it took them), written out a few dozen at a time.
 */
export class RewrittenFrames {
  /** Once a frame changed: the bytes so far. */
  private parts: Buffer[] | undefined;
  private pending = "";
  private count = 0;
  /** Before any change: how far the read's bytes go out as they came. */
  private through = 0;

  /** `text`: the read's bytes as latin1. */
  constructor(
    private readonly bytes: Buffer,
    private readonly text: string,
    private readonly rewrite: FrameRewrite,
  ) {}

  /** The next frame, [from, end) of the read, rewritten; throws as the rewrite does. */
  add(from: number, end: number, chunk: UpstreamChunk | undefined): void {
    const frame = this.text.slice(from, end);
    const to = this.rewrite(frame, chunk);
    if (!this.parts) {
      if (to === frame) {
        this.through = end;
        return;
      }
      this.parts = from > 0 ? [this.bytes.subarray(0, from)] : [];
    }
    this.pending += to;
    if (++this.count === FRAMES_PER_PART) this.flush();
  }

  /** The frames added, as they go out. */
  result(): Buffer {
    const { parts, bytes } = this;
    if (!parts) return this.through === bytes.length ? bytes : bytes.subarray(0, this.through);
    this.flush();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private flush(): void {
    if (this.pending.length > 0) this.parts!.push(Buffer.from(this.pending, "latin1"));
    this.pending = "";
    this.count = 0;
  }
}
