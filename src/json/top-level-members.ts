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
 * The members of a JSON object's top level, found without parsing the values: only the one
 * asked for is parsed. Reading a large answer for its usage this way skips the copies and the
 * parse of its text (most of it one long string, jumped over with `indexOf`).
 */
export class TopLevelMembers {
  constructor(
    private readonly bytes: Buffer,
    private readonly spans: ReadonlyMap<string, Span>,
  ) {}

  has(key: string): boolean {
    return this.spans.has(key);
  }

  /** The first byte of the member's value as a character (`[`, `{`, `"`, a digit, ...); undefined when absent. */
  opens(key: string): string | undefined {
    const span = this.spans.get(key);
    return span && String.fromCharCode(this.bytes[span.start]!);
  }

  /** The member's value, parsed; undefined when absent. Throws when that value is not JSON. */
  value(key: string): unknown {
    const span = this.spans.get(key);
    return span && JSON.parse(this.bytes.toString("utf8", span.start, span.end));
  }
}

/**
 * Scans a document that should be one JSON object: its structure (strings closed, brackets
 * matched, nesting within `maxDepth`, nothing after the end) and its top-level members.
 * Undefined when that structure is wrong; scalars inside are not checked, so a document it
 * accepts may still fail a full parse.
 */
export function topLevelMembers(bytes: Buffer, maxDepth = MAX_JSON_DEPTH): TopLevelMembers | undefined {
  const spans = new Map<string, Span>();
  const closers: number[] = [];
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== 0x7b) return undefined;
  // The top-level key last read, and where its value starts once its colon came.
  let key: string | undefined;
  let valueStart = -1;
  let afterComma = false;
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      const end = stringEnd(bytes, i + 1);
      if (end < 0) return undefined;
      if (closers.length === 1 && valueStart < 0) {
        key = keyText(bytes, i, end);
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
        if (valueStart >= 0) spans.set(key!, trimmed(bytes, valueStart, i));
        return skipSpace(bytes, i + 1) === bytes.length ? new TopLevelMembers(bytes, spans) : undefined;
      }
    } else if (closers.length === 1) {
      if (b === 0x3a && key !== undefined && valueStart < 0) valueStart = i + 1;
      else if (b === 0x2c) {
        if (valueStart < 0 || key === undefined) return undefined;
        spans.set(key, trimmed(bytes, valueStart, i));
        key = undefined;
        valueStart = -1;
        afterComma = true;
      }
    }
  }
  return undefined;
}

/** The index of the quote closing a string whose text starts at `from`; -1 when it never closes. */
function stringEnd(bytes: Buffer, from: number): number {
  for (let q = bytes.indexOf(QUOTE, from); q >= 0; q = bytes.indexOf(QUOTE, q + 1)) {
    let backslashes = 0;
    while (bytes[q - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  return -1;
}

/** A key's text: escapes are rare in keys, so only then is it parsed as JSON (undefined: a bad escape). */
function keyText(bytes: Buffer, open: number, close: number): string | undefined {
  const raw = bytes.toString("utf8", open + 1, close);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(bytes.toString("utf8", open, close + 1)) as string;
  } catch {
    return undefined;
  }
}

function skipSpace(bytes: Buffer, from: number): number {
  let i = from;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return i;
}

function trimmed(bytes: Buffer, start: number, end: number): Span {
  let s = skipSpace(bytes, start);
  let e = end;
  while (e > s && (bytes[e - 1] === 0x20 || bytes[e - 1] === 0x0a || bytes[e - 1] === 0x0d || bytes[e - 1] === 0x09)) e--;
  if (s > e) s = e;
  return { start: s, end: e };
}
