/** The frames one read completed. */
export interface SseFrames {
  /** Their bytes as received: the read itself when it ends where a frame ends and nothing was pending before it. */
  bytes: Buffer;
  /** The same bytes read as latin1, one character per byte: ASCII can be looked for without decoding UTF-8. */
  text: string;
  /** Where each frame ends (just after its blank line), in order; the last is `bytes.length`. */
  ends: number[];
}

const LF = 10;

/**
 * Finds where the messages of an event stream end, on the bytes, without decoding them:
 * a message ends at its blank line (lines end in \n, \r\n or \r). The bytes after the last
 * complete message wait for the next read, so a message (or a UTF-8 character) split across
 * reads comes out whole.
 */
export class SseFrameSplitter {
  private pending: Buffer[] = [];
  private pendingText = "";
  private pendingSize = 0;
  /** Nothing since the last line ending: a line ending now ends a blank line. */
  private atLineStart = true;
  /** The last byte was a \r ending a line: a \n now belongs to that line ending. */
  private afterCr = false;
  /** ...and that line was blank: the pending bytes end with a frame, whose \n may be still to come. */
  private frameAtCr = false;

  push(bytes: Uint8Array): SseFrames | undefined {
    const read = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const len = read.length;
    if (len === 0) return undefined;
    const text = read.toString("latin1");
    const ends: number[] = [];
    let i = this.afterCr && text.charCodeAt(0) === LF ? 1 : 0;
    // The frame held at its \r ends here, with its \n if that came.
    if (this.frameAtCr) ends.push(i);
    let lineStart = this.atLineStart;
    let afterCr = false;
    let frameAtCr = false;
    // Next \n and \r at or after `i` (len when none), searched again only once passed.
    let lf = -1;
    let cr = text.indexOf("\r", i);
    if (cr === -1) {
      // Lines ending in \n only (the usual case): a blank line is "\n\n", or a \n first thing after a line ending.
      if (lineStart && text.charCodeAt(i) === LF) ends.push(++i);
      for (let at = text.indexOf("\n\n", i); at !== -1; at = text.indexOf("\n\n", i)) ends.push((i = at + 2));
      lineStart = text.charCodeAt(len - 1) === LF;
      i = len;
    }
    while (i < len) {
      if (lf < i) {
        lf = text.indexOf("\n", i);
        if (lf === -1) lf = len;
      }
      if (cr < i) {
        cr = text.indexOf("\r", i);
        if (cr === -1) cr = len;
      }
      const eol = Math.min(lf, cr);
      if (eol === len) {
        lineStart = false;
        break;
      }
      const blank = lineStart && eol === i;
      lineStart = true;
      let next = eol + 1;
      if (eol === cr) {
        if (next === len) {
          afterCr = true;
          // Whether a \n follows is for the next read to say: the frame waits (and stays whole).
          frameAtCr = blank;
          break;
        }
        if (text.charCodeAt(next) === LF) next++;
      }
      if (blank) ends.push(next);
      i = next;
    }
    this.atLineStart = lineStart;
    this.afterCr = afterCr;
    this.frameAtCr = frameAtCr;
    if (ends.length === 0) {
      this.hold(read, text);
      return undefined;
    }
    const last = ends[ends.length - 1]!;
    let frames: SseFrames;
    if (this.pendingSize === 0) {
      frames = last === len ? { bytes: read, text, ends } : { bytes: read.subarray(0, last), text: text.slice(0, last), ends };
    } else {
      const before = this.pendingSize;
      frames = { bytes: Buffer.concat([...this.pending, read.subarray(0, last)]), text: this.pendingText + text.slice(0, last), ends: ends.map((end) => end + before) };
      this.pending = [];
      this.pendingText = "";
      this.pendingSize = 0;
    }
    if (last < len) this.hold(read.subarray(last), text.slice(last));
    return frames;
  }

  /** The bytes after the last frame handed out (an unfinished one), for a decoder taking over. */
  rest(): Buffer {
    return Buffer.concat(this.pending);
  }

  /** When the body ends: a last frame that was waiting to see whether a \n followed its \r. */
  end(): SseFrames | undefined {
    if (!this.frameAtCr) return undefined;
    this.frameAtCr = false;
    const frames = { bytes: Buffer.concat(this.pending), text: this.pendingText, ends: [this.pendingSize] };
    this.pending = [];
    this.pendingText = "";
    this.pendingSize = 0;
    return frames;
  }

  private hold(bytes: Buffer, text: string): void {
    this.pending.push(bytes);
    this.pendingText += text;
    this.pendingSize += bytes.length;
  }
}
