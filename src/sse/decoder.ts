/** One server-sent event, as defined by the WHATWG event-stream format. */
export interface SseMessage {
  event?: string;
  data: string;
  id?: string;
}

const DATA = "data: ";

/**
 * Incremental event-stream decoder: bytes in, whole messages out. Chunks may split
 * anywhere (inside a UTF-8 character, between \r and \n); lines may end in \n, \r\n or \r.
 */
export class SseDecoder {
  private readonly text = new TextDecoder("utf-8");
  private pending = "";
  private readonly data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  push(chunk: Uint8Array): SseMessage[] {
    return this.feed(this.text.decode(chunk, { stream: true }), false);
  }

  /** Bytes holding whole messages only (each ending in its blank line): their messages, with nothing left pending. */
  whole(bytes: Uint8Array): SseMessage[] {
    return this.feed(this.text.decode(bytes), true);
  }

  /** As `whole`, for bytes already decoded: ASCII bytes are their own text, read as latin1 (no copy, no decoder). */
  wholeText(text: string): SseMessage[] {
    // The usual frame, one `data: ` line and its blank line ending in \n, is its message at once.
    const end = text.length - 2;
    if (this.pending === "" && text.startsWith(DATA) && text.indexOf("\n") === end && text.charCodeAt(end + 1) === 10 && !text.includes("\r")) {
      const message: SseMessage = { data: text.slice(DATA.length, end) };
      if (this.id !== undefined) message.id = this.id;
      return [message];
    }
    return this.feed(text, true);
  }

  /** Flushes what is left when the byte stream ends (a final message without its blank line is dropped, as the spec says). */
  end(): SseMessage[] {
    return this.feed(this.text.decode(), true);
  }

  private feed(text: string, final: boolean): SseMessage[] {
    const buf = this.pending + text;
    const out: SseMessage[] = [];
    let start = 0;
    const len = buf.length;
    // Next \n and \r at or after `start` (len when none), rescanned only once passed:
    // searching afresh for every line made a chunk of many lines quadratic.
    let lf = -1;
    let cr = -1;
    while (start < len) {
      if (lf < start) {
        lf = buf.indexOf("\n", start);
        if (lf === -1) lf = len;
      }
      if (cr < start) {
        cr = buf.indexOf("\r", start);
        if (cr === -1) cr = len;
      }
      const eol = Math.min(lf, cr);
      if (eol === len) break;
      // A \r as the last character may be the first half of \r\n: wait for more.
      if (eol === cr && cr === len - 1 && !final) break;
      this.line(buf.slice(start, eol), out);
      start = eol === cr && buf.charCodeAt(cr + 1) === 10 ? cr + 2 : eol + 1;
    }
    this.pending = buf.slice(start);
    if (final) {
      if (this.pending.length > 0) this.line(this.pending, out);
      this.pending = "";
      this.data.length = 0;
      this.event = undefined;
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      if (this.data.length > 0) {
        const message: SseMessage = { data: this.data.length === 1 ? this.data[0]! : this.data.join("\n") };
        if (this.event !== undefined) message.event = this.event;
        if (this.id !== undefined) message.id = this.id;
        out.push(message);
      }
      this.data.length = 0;
      this.event = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" comment */) return;
    // The field's name is matched in place and the value cut once, past the space after the colon.
    const colon = line.indexOf(":");
    const name = colon === -1 ? line.length : colon;
    const value = colon === -1 ? "" : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    if (name === 4 && line.startsWith("data")) this.data.push(value);
    else if (name === 5 && line.startsWith("event")) this.event = value;
    else if (name === 2 && line.startsWith("id")) this.id = value;
  }
}
