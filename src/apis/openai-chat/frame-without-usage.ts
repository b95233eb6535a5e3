import { SseDecoder } from "../../sse/decoder.js";
import { sseFrame } from "../../sse/encode.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import { withoutNullUsage } from "./null-usage.js";

const DATA = "data: ";
const KEY = '"usage"';
const KEY_TAIL = 'usage"';

/**
 * A Chat frame for a client that did not ask for usage, rewritten on its bytes (a FrameRewrite):
 * byte for byte what the passthrough encoder's chunk() writes of it (no usage-only chunk, no
 * top-level `"usage":null`, framed `data: <payload>\n\n`), without decoding or parsing it. A frame
 * as OpenAI writes them (one `data: ` line, `\n` line ends, the field a top-level member) has the
 * field cut from its latin1 text: the cut looks at ASCII only, which UTF-8 never uses inside a
 * character. Any other frame is decoded and written as chunk() writes it.
 */
export function frameWithoutUsage(frame: string, chunk: UpstreamChunk | undefined): string {
  if (chunk?.usageOnly) return "";
  // The payload: [DATA.length, end).
  const end = frame.length - 2;
  if (frame.startsWith(DATA) && frame.indexOf("\n") === end && frame.charCodeAt(end + 1) === 10 && !frame.includes("\r")) {
    const key = firstKey(frame);
    // withoutNullUsage's own test: a payload that does not spell the field stays as it is.
    if (key === -1) return frame;
    const cut = nullUsageAt(frame, end, key);
    if (cut) return frame.slice(0, cut[0]) + frame.slice(cut[1]);
  }
  return reframed(frame);
}

/** Where `"usage"` first stands in the frame; -1 for nowhere. Looked for without its opening quote, which the engine would stop at all over JSON. */
function firstKey(frame: string): number {
  for (let at = frame.indexOf(KEY_TAIL, DATA.length); at !== -1; at = frame.indexOf(KEY_TAIL, at + KEY_TAIL.length)) {
    if (frame.charCodeAt(at - 1) === 34 /* " */) return at - 1;
  }
  return -1;
}

/** The frame decoded as the stream's reader decodes it, and written as chunk() writes it; nothing for a frame without a message. */
function reframed(frame: string): string {
  const [message] = new SseDecoder().whole(Buffer.from(frame, "latin1"));
  return message ? Buffer.from(sseFrame(withoutNullUsage(message.data)), "utf8").toString("latin1") : "";
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** A quote preceded by an odd run of backslashes is escaped (inside a string); in JSON no backslash stands outside one. */
function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * What withoutNullUsage cuts of the payload (the frame up to `end`), as [from, to), found quickly
 * when the first `"usage"` in it (at `key`, where withoutNullUsage looks first) is a top-level key
 * whose value is null. Read from the object's end back to it (the field comes last, or last but
 * one, in the chunks of OpenAI and its kin): strings jumped over whole, brackets counted.
 * Undefined in any other case (that `"usage"` nested, inside a string or not null; an only member;
 * a payload that is not a JSON object), which withoutNullUsage then decides.
 */
function nullUsageAt(text: string, end: number, key: number): [number, number] | undefined {
  let i = end - 1;
  while (isSpace(text.charCodeAt(i))) i--;
  if (text.charCodeAt(i) !== 125 /* } */) return undefined;
  let depth = 1;
  for (i--; i > key; i--) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // A string's end: back to its start.
      let start = text.lastIndexOf('"', i - 1);
      while (start > 0 && isEscaped(text, start)) start = text.lastIndexOf('"', start - 1);
      if (start === key) return depth === 1 ? memberAt(text, key) : undefined;
      // The first "usage" is inside this string, or the payload is not JSON.
      if (start < key) return undefined;
      i = start;
    } else if (c === 125 || c === 93) depth++;
    else if (c === 123 || c === 91) depth--;
  }
  return undefined;
}

/** The top-level member `"usage"` at `key` with its comma, as [from, to), when its value is null and a comma is there to cut. */
function memberAt(text: string, key: number): [number, number] | undefined {
  // Spelled one of the two ways withoutNullUsage looks for before it cuts.
  const value = key + KEY.length;
  let after = text.startsWith(":null", value) ? value + 5 : text.startsWith(": null", value) ? value + 6 : -1;
  if (after === -1) return undefined;
  let before = key - 1;
  while (before > DATA.length && isSpace(text.charCodeAt(before))) before--;
  if (text.charCodeAt(before) === 44 /* , */) return [before, after];
  // The first member: the comma after it goes, with the space around it.
  while (isSpace(text.charCodeAt(after))) after++;
  if (text.charCodeAt(after) !== 44) return undefined;
  after++;
  while (isSpace(text.charCodeAt(after))) after++;
  return [key, after];
}
