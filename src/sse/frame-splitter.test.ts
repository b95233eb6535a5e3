import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cutAt } from "../../test/support/fixtures.js";
import { SseDecoder, type SseMessage } from "./decoder.js";
import { SseFrameSplitter } from "./frame-splitter.js";

const enc = (s: string) => Buffer.from(s, "utf8");

/** Every frame the splitter gives for the pieces, each as its own bytes. */
function split(pieces: readonly Buffer[]): Buffer[] {
  const splitter = new SseFrameSplitter();
  const frames: Buffer[] = [];
  for (const piece of [...pieces, undefined]) {
    const got = piece ? splitter.push(piece) : splitter.end();
    if (!got) continue;
    expect(got.text).toBe(got.bytes.toString("latin1"));
    expect(got.ends.at(-1)).toBe(got.bytes.length);
    let from = 0;
    for (const end of got.ends) {
      expect(end).toBeGreaterThan(from);
      frames.push(got.bytes.subarray(from, end));
      from = end;
    }
  }
  return frames;
}

/** The stream decoder's messages for the whole input: what the frames must decode to. */
function streamed(bytes: Buffer): SseMessage[] {
  const d = new SseDecoder();
  return [...d.push(bytes), ...d.end()];
}

describe("SseFrameSplitter", () => {
  it("hands a read back as it came when it ends where a frame ends", () => {
    const read = enc('data: {"a":1}\n\ndata: {"b":2}\n\n');
    const got = new SseFrameSplitter().push(read);
    expect(got?.bytes).toBe(read);
    expect(got?.ends).toEqual([15, 30]);
  });

  it("holds a frame split across reads (inside a multi-byte character too) until its blank line", () => {
    const bytes = enc('data: {"t":"héllo 🌍"}\n\ndata: {"t":"x"}\n\n');
    const cut = bytes.indexOf(0xf0) + 2;
    const splitter = new SseFrameSplitter();
    expect(splitter.push(bytes.subarray(0, cut))).toBeUndefined();
    const got = splitter.push(bytes.subarray(cut));
    expect(got?.bytes.equals(bytes)).toBe(true);
    expect(new SseDecoder().whole(got!.bytes.subarray(0, got!.ends[0]))).toEqual([{ data: '{"t":"héllo 🌍"}' }]);
  });

  it("keeps what follows the last blank line for the next read", () => {
    const splitter = new SseFrameSplitter();
    const first = splitter.push(enc("data: a\n\ndata: b"));
    expect(first?.bytes.toString()).toBe("data: a\n\n");
    const second = splitter.push(enc("\n\n"));
    expect(second?.bytes.toString()).toBe("data: b\n\n");
  });

  it("a frame whose blank line ends in a \\r at the end of a read waits for the next byte, which may be its \\n", () => {
    const splitter = new SseFrameSplitter();
    expect(splitter.push(enc("data: a\r\n\r"))).toBeUndefined();
    const got = splitter.push(enc("\ndata: b\r\n\r\n"));
    expect(got?.bytes.toString()).toBe("data: a\r\n\r\ndata: b\r\n\r\n");
    expect(got?.ends).toEqual([11, 22]);
    // At the end of the body it is whole as it is.
    expect(splitter.push(enc("data: c\r\r"))).toBeUndefined();
    expect(splitter.end()?.bytes.toString()).toBe("data: c\r\r");
  });

  describe("property: split anywhere, the frames are the stream's messages, whole and in order", () => {
    const line = fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !s.includes("\r") && !s.includes("\n"));
    const message = fc.record({ comment: fc.boolean(), event: fc.option(line, { nil: undefined }), lines: fc.array(line, { minLength: 1, maxLength: 3 }), blank: fc.nat(2) });

    it("holds for events, comments, extra blank lines and any line ending", () => {
      fc.assert(
        fc.property(fc.array(message, { maxLength: 10 }), fc.constantFrom("\n", "\r\n", "\r"), fc.string({ maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (messages, eol, tail, cuts) => {
          let text = "";
          for (const m of messages) {
            if (m.comment) text += `: note${eol}`;
            if (m.event !== undefined) text += `event: ${m.event}${eol}`;
            for (const l of m.lines) text += `data: ${l}${eol}`;
            text += eol.repeat(1 + m.blank);
          }
          // An unfinished message may follow: it is never handed out.
          const bytes = enc(`${text}data: ${tail.replace(/[\r\n]/g, "")}`);
          const frames = split(cutAt(bytes, cuts));
          const whole = Buffer.concat(frames);
          expect(bytes.subarray(0, whole.length).equals(whole), "the frames are the bytes, in order").toBe(true);
          const decoder = new SseDecoder();
          const decoded = frames.map((f) => decoder.whole(f));
          expect(
            decoded.every((m) => m.length <= 1),
            "a frame holds one message at most",
          ).toBe(true);
          expect(decoded.flat()).toEqual(streamed(bytes));
        }),
        { numRuns: 300 },
      );
    });
  });
});
