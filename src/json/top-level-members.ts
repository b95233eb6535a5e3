import { MAX_JSON_DEPTH } from "./json-depth.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS: Record<number, number> = { 123: 0x7d, 91: 0x5d };

/** Where one member's value lies in the document's bytes: [start, end), whitespace trimmed. */
interface Span {
  start: number;
  end: number;
}

/**
 * A document as it was read: its parts in order, addressed as one run of bytes and never
 * copied into one buffer (a large answer is sent on as these same parts).
 */
class PartedBytes {
  /** Where each part starts in the document. */
  readonly starts: number[] = [];
  readonly length: number;

  constructor(readonly parts: readonly Buffer[]) {
    let length = 0;
    for (const part of parts) {
      this.starts.push(length);
      length += part.length;
    }
    this.length = length;
  }

  /** The byte at `index` (< length). */
  at(index: number): number {
    let p = this.parts.length - 1;
    while (this.starts[p]! > index) p--;
    return this.parts[p]![index - this.starts[p]!]!;
  }

  /** The text of [start, end); a character split between parts is joined first. */
  text(start: number, end: number): string {
    const parts: Buffer[] = [];
    for (let p = 0; p < this.parts.length; p++) {
      const from = Math.max(start - this.starts[p]!, 0);
      const to = Math.min(end - this.starts[p]!, this.parts[p]!.length);
      if (from < to) parts.push(this.parts[p]!.subarray(from, to));
    }
    return parts.length === 1 ? parts[0]!.toString("utf8") : Buffer.concat(parts).toString("utf8");
  }

  isSpace(index: number): boolean {
    const b = this.at(index);
    return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  }

  skipSpace(from: number): number {
    let i = from;
    while (i < this.length && this.isSpace(i)) i++;
    return i;
  }

  trimmed(start: number, end: number): Span {
    let s = this.skipSpace(start);
    let e = end;
    while (e > s && this.isSpace(e - 1)) e--;
    if (s > e) s = e;
    return { start: s, end: e };
  }
}

/**
 * The members of a JSON object's top level, found without parsing the values: only the one
 * asked for is parsed. Reading a large answer for its usage this way skips the copies and the
 * parse of its text (most of it one long string, jumped over with `indexOf`).
 */
export class TopLevelMembers {
  constructor(
    private readonly bytes: PartedBytes,
    private readonly spans: ReadonlyMap<string, Span>,
  ) {}

  has(key: string): boolean {
    return this.spans.has(key);
  }

  /** The first byte of the member's value as a character (`[`, `{`, `"`, a digit, ...); undefined when absent. */
  opens(key: string): string | undefined {
    const span = this.spans.get(key);
    return span && String.fromCharCode(this.bytes.at(span.start));
  }

  /** The member's value, parsed; undefined when absent. Throws when that value is not JSON. */
  value(key: string): unknown {
    const span = this.spans.get(key);
    return span && JSON.parse(this.bytes.text(span.start, span.end));
  }
}

/**
 * Scans a document that should be one JSON object, given as the parts it was read in: its
 * structure (strings closed, brackets matched, nesting within `maxDepth`, nothing after the
 * end) and its top-level members. Undefined when that structure is wrong; scalars inside are
 * not checked, so a document it accepts may still fail a full parse.
 */
export function topLevelMembers(parts: readonly Buffer[], maxDepth = MAX_JSON_DEPTH): TopLevelMembers | undefined {
  const doc = new PartedBytes(parts);
  const spans = new Map<string, Span>();
  const closers: number[] = [];
  const first = doc.skipSpace(0);
  if (first === doc.length || doc.at(first) !== 0x7b) return undefined;
  // The top-level key last read, and where its value starts once its colon came.
  let key: string | undefined;
  let valueStart = -1;
  let afterComma = false;
  // A string still open at the end of a part: where its quote was, and the backslashes ending that part.
  let openString = -1;
  let carried = 0;
  let p = 0;
  while (doc.starts[p]! + parts[p]!.length <= first) p++;
  for (let i = first - doc.starts[p]!; p < parts.length; p++, i = 0) {
    const bytes = parts[p]!;
    const base = doc.starts[p]!;
    if (openString >= 0) {
      const end = stringEnd(bytes, 0, carried);
      if (end < 0) {
        carried = trailingBackslashes(bytes, 0, carried);
        continue;
      }
      if (closers.length === 1 && valueStart < 0) {
        key = keyText(doc, openString, base + end);
        afterComma = false;
      }
      openString = -1;
      i = end + 1;
    }
    for (; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === QUOTE) {
        const end = stringEnd(bytes, i + 1, 0);
        if (end < 0) {
          openString = base + i;
          carried = trailingBackslashes(bytes, i + 1, 0);
          break;
        }
        if (closers.length === 1 && valueStart < 0) {
          key = keyText(doc, base + i, base + end);
          afterComma = false;
        }
        i = end;
      } else if (OPENERS[b] !== undefined) {
        if (closers.push(OPENERS[b]!) > maxDepth) return undefined;
      } else if (b === 0x7d || b === 0x5d) {
        if (closers.pop() !== b) return undefined;
        if (closers.length === 0) {
          // A key without its value, or a comma with nothing after it.
          if (valueStart < 0 ? key !== undefined || afterComma : key === undefined) return undefined;
          if (valueStart >= 0) spans.set(key!, doc.trimmed(valueStart, base + i));
          return doc.skipSpace(base + i + 1) === doc.length ? new TopLevelMembers(doc, spans) : undefined;
        }
      } else if (closers.length === 1) {
        if (b === 0x3a && key !== undefined && valueStart < 0) valueStart = base + i + 1;
        else if (b === 0x2c) {
          if (valueStart < 0 || key === undefined) return undefined;
          spans.set(key, doc.trimmed(valueStart, base + i));
          key = undefined;
          valueStart = -1;
          afterComma = true;
        }
      }
    }
  }
  return undefined;
}

/**
 * The index of the quote closing a string whose text goes on at `from`; -1 when it does not
 * close in these bytes. `carried`: the backslashes just before `from`, at the end of the previous part.
 */
function stringEnd(bytes: Buffer, from: number, carried: number): number {
  for (let q = bytes.indexOf(QUOTE, from); q >= 0; q = bytes.indexOf(QUOTE, q + 1)) {
    let backslashes = 0;
    while (q - 1 - backslashes >= from && bytes[q - 1 - backslashes] === BACKSLASH) backslashes++;
    if (q - backslashes === from) backslashes += carried;
    if (backslashes % 2 === 0) return q;
  }
  return -1;
}

/** The backslashes ending a part whose string text began at `from` (those `carried` before it included). */
function trailingBackslashes(bytes: Buffer, from: number, carried: number): number {
  let backslashes = 0;
  while (bytes.length - 1 - backslashes >= from && bytes[bytes.length - 1 - backslashes] === BACKSLASH) backslashes++;
  return bytes.length - backslashes === from ? backslashes + carried : backslashes;
}

/** A key's text: escapes are rare in keys, so only then is it parsed as JSON (undefined: a bad escape). */
function keyText(doc: PartedBytes, open: number, close: number): string | undefined {
  const raw = doc.text(open + 1, close);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(doc.text(open, close + 1)) as string;
  } catch {
    return undefined;
  }
}
