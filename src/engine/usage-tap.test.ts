import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../spec/stream-events.js";
import { UsageTap } from "./usage-tap.js";

const text = (t: string): StreamEvent => ({ type: "text-delta", choice: 0, text: t });
/** Counts a text as one token per word, so the arithmetic shows. */
const words = (texts: readonly string[]) => texts.join("").split(" ").filter(Boolean).length;

describe("UsageTap.outputEstimate", () => {
  it("counts the text read, and the frames relayed unread at the tokens per frame of those read, without reading them", () => {
    const unreadFrames: string[] = [" four five", " six seven", " eight nine"];
    let reads = 0;
    const tap = new UsageTap(() => {
      reads++;
      return unreadFrames.map(text);
    });
    tap.observe([text("one two")]);
    tap.observe([text(" three")]);
    expect(tap.outputEstimate(words)).toBe(3);
    tap.unparsed(new Uint8Array(30), 3);
    // 3 tokens over 2 frames read: 1.5 a frame, so 3 unread frames are 4.5, rounded.
    expect(tap.outputEstimate(words)).toBe(3 + 5);
    expect(reads, "the unread frames stay unread").toBe(0);
    // Once something reads them, the count is exact and the estimate gone.
    expect(words(tap.output())).toBe(9);
    expect(tap.outputEstimate(words)).toBe(9);
  });

  it("assumes a token a frame when no frame was read for its text", () => {
    const tap = new UsageTap(() => []);
    tap.unparsed(new Uint8Array(10), 4);
    expect(tap.outputEstimate(words)).toBe(4);
  });
});
