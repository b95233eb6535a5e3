import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cutAt } from "../../test/support/fixtures.js";
import { SseDecoder, type SseMessage } from "./decoder.js";

const enc = (s: string) => Buffer.from(s, "utf8");

/** Feeds the pieces one push() each, then end(); returns every message. */
function decode(pieces: Array<string | Uint8Array>): SseMessage[] {
  const d = new SseDecoder();
  const out: SseMessage[] = [];
  for (const p of pieces) out.push(...d.push(typeof p === "string" ? enc(p) : p));
  out.push(...d.end());
  return out;
}

/** Every way to cut `bytes` in two, plus one byte at a time. */
function everySplit(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) ways.push([bytes.subarray(0, i), bytes.subarray(i)]);
  ways.push([...bytes].map((b) => Buffer.from([b])));
  return ways;
}

describe("SseDecoder (WHATWG event stream)", () => {
  it("dispatches a message on the blank line", () => {
    expect(decode(["data: hello\n\n"])).toEqual([{ data: "hello" }]);
  });

  it("joins multi-line data with \\n", () => {
    expect(decode(["data: one\ndata: two\ndata:\ndata: four\n\n"])).toEqual([{ data: "one\ntwo\n\nfour" }]);
  });

  it("reads event and id fields, and resets the event name after each message", () => {
    expect(decode(["event: delta\nid: 7\ndata: a\n\ndata: b\n\n"])).toEqual([
      { event: "delta", id: "7", data: "a" },
      // The last event ID persists (it is the stream's lastEventId); the event name does not.
      { id: "7", data: "b" },
    ]);
  });

  it("ignores comments, unknown fields and retry", () => {
    expect(decode([": keep-alive\n\n", ":\n", "retry: 1000\nfoo: bar\ndata: x\n: inside\ndata: y\n\n"])).toEqual([{ data: "x\ny" }]);
  });

  it("does not dispatch a message without data", () => {
    expect(decode(["event: ping\n\n", "id: 3\n\n"])).toEqual([]);
  });

  it("dispatches empty data (`data:` and a bare `data` line)", () => {
    expect(decode(["data:\n\n", "data\n\n"])).toEqual([{ data: "" }, { data: "" }]);
  });

  it("removes one leading space from the value, and only one", () => {
    expect(decode(["data:  two spaces\n\n", "data:none\n\n", "data: \n\n", "event:  spaced\ndata: x\n\n"])).toEqual([
      { data: " two spaces" },
      { data: "none" },
      { data: "" },
      { event: " spaced", data: "x" },
    ]);
  });

  it("keeps colons after the first one in the value", () => {
    expect(decode(['data: {"a":"b:c"}\n\n'])).toEqual([{ data: '{"a":"b:c"}' }]);
  });

  for (const [name, eol] of [
    ["\\n", "\n"],
    ["\\r\\n", "\r\n"],
    ["\\r", "\r"],
  ] as const) {
    it(`accepts ${name} line endings`, () => {
      const text = `event: e${eol}data: a${eol}data: b${eol}${eol}data: c${eol}${eol}`;
      expect(decode([text])).toEqual([{ event: "e", data: "a\nb" }, { data: "c" }]);
      for (const pieces of everySplit(enc(text))) expect(decode(pieces)).toEqual([{ event: "e", data: "a\nb" }, { data: "c" }]);
    });
  }

  it("accepts mixed line endings in one stream", () => {
    expect(decode(["data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"])).toEqual([{ data: "a\nb\nc" }, { data: "d" }]);
  });

  it("treats \\r\\n split across chunks as one line ending", () => {
    expect(decode(["data: a\r", "\n", "\r", "\ndata: b\r\n\r", "\n"])).toEqual([{ data: "a" }, { data: "b" }]);
    // Counted as two endings, the split \r\n would make a blank line and dispatch "a" on its own.
    const d = new SseDecoder();
    expect(d.push(enc("data: a\r"))).toEqual([]);
    expect(d.push(enc("\ndata: b\r\n\r\n"))).toEqual([{ data: "a\nb" }]);
  });

  it("treats a lone \\r at the end of a chunk as a line ending once the next chunk shows no \\n", () => {
    const d = new SseDecoder();
    expect(d.push(enc("data: a\r"))).toEqual([]);
    expect(d.push(enc("\r"))).toEqual([]);
    expect(d.push(enc("data: b\r\r"))).toEqual([{ data: "a" }]);
    expect(d.end()).toEqual([{ data: "b" }]);
  });

  for (const text of ["é", "日本", "😀", "naïve 日本語 🇫🇷 👩‍👩‍👧"]) {
    it(`decodes "${text}" split at every byte offset`, () => {
      const bytes = enc(`data: ${text}\n\ndata: ${text}${text}\n\n`);
      for (const pieces of everySplit(bytes)) {
        expect(decode(pieces)).toEqual([{ data: text }, { data: text + text }]);
      }
    });
  }

  it("does not dispatch a final message without its blank line", () => {
    expect(decode(["data: complete\n\ndata: partial\n"])).toEqual([{ data: "complete" }]);
    expect(decode(["data: partial"])).toEqual([]);
    expect(decode(["data: partial\r"])).toEqual([]);
  });

  it("dispatches as soon as the blank line arrives, not at end()", () => {
    const d = new SseDecoder();
    expect(d.push(enc("data: a\n"))).toEqual([]);
    expect(d.push(enc("\n"))).toEqual([{ data: "a" }]);
    expect(d.end()).toEqual([]);
  });

  it("strips a UTF-8 byte order mark at the start of the stream", () => {
    expect(decode([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), "data: x\n\n"])).toEqual([{ data: "x" }]);
  });

  it("accepts empty chunks", () => {
    expect(decode(["", "data: a", "", "\n", "", "\n", ""])).toEqual([{ data: "a" }]);
  });

  // Quadratic scanning took many seconds here (the test's timeout catches it); linear takes a few ms.
  it("decodes a large chunk of many messages in one pass", () => {
    const count = 40_000;
    const bytes = enc(`data: ${"x".repeat(100)}\n\n`.repeat(count));
    const out = new SseDecoder().push(bytes);
    expect(out).toHaveLength(count);
    expect(out[count - 1]).toEqual({ data: "x".repeat(100) });
  });

  it("property: ASCII text read as it stands gives the messages its bytes give, whatever its fields, comments and line ends", () => {
    const line = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 30 }),
      fc.constantFrom("data", "data:", "data: x", "data:  two spaces", "event:e", "id: 9", ": comment", "retry: 5", "dataa: no"),
    );
    const frame = fc.tuple(fc.array(line, { maxLength: 6 }), fc.constantFrom("\n", "\r\n", "\r")).map(([lines, eol]) => lines.map((l) => l + eol).join("") + eol);
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), (frames) => {
        // One decoder each, frame after frame: what a frame leaves (the last event id) counts in the next.
        const asText = new SseDecoder();
        const asBytes = new SseDecoder();
        for (const text of frames) expect(asText.wholeText(text)).toEqual(asBytes.whole(enc(text)));
      }),
      { numRuns: 1_000 },
    );
    const decoder = new SseDecoder();
    decoder.wholeText("id: 7\ndata: a\n\n");
    expect(decoder.wholeText("data: b\n\n")).toEqual([{ data: "b", id: "7" }]);
  });

  describe("property: encode, split anywhere, decode gives the messages back", () => {
    const line = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\r") && !s.includes("\n"));
    const message = fc.record({ event: fc.option(line, { nil: undefined }), lines: fc.array(line, { minLength: 1, maxLength: 4 }) });

    it("holds for single-line data and \\n endings", () => {
      fc.assert(
        fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (messages, cuts) => {
          const bytes = enc(messages.map((m) => `data: ${m}\n\n`).join(""));
          const pieces = cutAt(bytes, cuts);
          expect(decode(pieces)).toEqual(messages.map((data) => ({ data })));
        }),
        { numRuns: 300 },
      );
    });

    it("holds for events, multi-line data and any line ending", () => {
      fc.assert(
        fc.property(fc.array(message, { maxLength: 12 }), fc.constantFrom("\n", "\r\n", "\r"), fc.array(fc.nat(), { maxLength: 30 }), (messages, eol, cuts) => {
          let text = "";
          for (const m of messages) {
            if (m.event !== undefined) text += `event: ${m.event}${eol}`;
            for (const l of m.lines) text += `data: ${l}${eol}`;
            text += eol;
          }
          const expected = messages.map((m) => (m.event === undefined ? { data: m.lines.join("\n") } : { event: m.event, data: m.lines.join("\n") }));
          expect(decode(cutAt(enc(text), cuts))).toEqual(expected);
        }),
        { numRuns: 300 },
      );
    });
  });
});
