/**
 * The record-replay harness every provider's stream tests share: a recording's payloads put
 * back on the wire the way its provider frames them, the bytes cut the way networks cut them
 * (whole, at random offsets, one byte at a time, inside multi-byte characters), and fed
 * through an adapter's decoder and parser, or through the engine's FrameReader.
 */
import { expect, it } from "vitest";
import { FrameReader } from "../../src/engine/frame-reader.js";
import { UsageTap } from "../../src/engine/usage-tap.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import type { StreamEvent, UpstreamChunk } from "../../src/spec/stream-events.js";
import type { Usage } from "../../src/spec/usage.js";
import { SseDecoder, type SseMessage } from "../../src/sse/decoder.js";
import { converseStreamBytes } from "./bedrock-fixtures.js";
import { type AccumulatedStream, accumulateEvents } from "./canonical-events.js";
import { chatSseBytes, type FramingOptions, loadChunks, mulberry32, namedEventSseBytes, seedMessage, splitAt, splitAtRandomOffsets, testSeed, trickyOffsets } from "./fixtures.js";
import { geminiSseBytes } from "./gemini-fixtures.js";
import { responsesSseBytes } from "./responses-fixtures.js";

// ---------------------------------------------------------------------------
// Recordings on the wire
// ---------------------------------------------------------------------------

type Framer = (payloads: readonly string[], options: FramingOptions) => Buffer;

const isJson = (payload: string): boolean => {
  try {
    JSON.parse(payload);
    return true;
  } catch {
    return false;
  }
};

/** Per recordings folder, its framing (test/fixtures/recorded/README.md's table). */
const FRAMING: Record<string, Framer> = {
  "openai-chat": chatSseBytes,
  "openai-compatible": chatSseBytes,
  deepseek: chatSseBytes,
  mistral: chatSseBytes,
  anthropic: namedEventSseBytes,
  // Some recorded lines are not JSON (the malformed-upstream case): their event name is read from the text.
  "openai-responses": (payloads, options) => (payloads.every(isJson) ? namedEventSseBytes(payloads, options) : responsesSseBytes(payloads, options)),
  google: geminiSseBytes,
  // A binary framing: line endings do not apply.
  "amazon-bedrock": (payloads) => converseStreamBytes(payloads),
};

/** The bytes a provider sends for these payloads of `recording` (a path like "anthropic/anthropic-text.chunks.txt"). */
function wireBytes(recording: string, payloads: readonly string[], options: FramingOptions = {}): Buffer {
  const folder = recording.split("/")[0]!;
  const framer = FRAMING[folder];
  if (!framer) throw new Error(`No framing known for recordings in ${folder}/`);
  return framer(payloads, options);
}

/** A whole recording's bytes, as its provider sent them. */
export function recordedBytes(recording: string, options: FramingOptions = {}): Buffer {
  return wireBytes(recording, loadChunks(recording), options);
}

// ---------------------------------------------------------------------------
// Feeding bytes through an adapter
// ---------------------------------------------------------------------------

export interface Replay {
  /** What the adapter's decoder (SSE unless it has its own) made of the bytes. */
  messages: SseMessage[];
  /** The stream parser's answer per message, in order, up to one that threw. */
  results: Array<UpstreamChunk | null>;
  /** What the decoder or the parser threw, and at which message (the message count, for the decoder). */
  thrown?: { error: unknown; at: number };
  /** The results that are not null. */
  chunks: UpstreamChunk[];
  /** Their canonical events, in order. */
  events: StreamEvent[];
}

/**
 * Every message through one stream parser of the adapter, including any after the end
 * marker, so a test sees what the parser says of each. Stops at the first throw.
 */
export function replay(adapter: ProviderAdapter, pieces: readonly Uint8Array[]): Replay {
  const decoder = adapter.messageDecoder?.() ?? new SseDecoder();
  const messages: SseMessage[] = [];
  const done = (results: Array<UpstreamChunk | null>, thrown?: Replay["thrown"]): Replay => {
    const chunks = results.filter((c): c is UpstreamChunk => c !== null);
    return { messages, results, ...(thrown ? { thrown } : {}), chunks, events: chunks.flatMap((c) => c.events) };
  };
  try {
    for (const piece of pieces) messages.push(...decoder.push(piece));
    messages.push(...decoder.end());
  } catch (error) {
    return done([], { error, at: messages.length });
  }
  const parser = adapter.streamParser?.() ?? adapter;
  const results: Array<UpstreamChunk | null> = [];
  for (const [i, message] of messages.entries()) {
    try {
      results.push(parser.parseStreamMessage(message, i === 0));
    } catch (error) {
      return done(results, { error, at: i });
    }
  }
  return done(results);
}

/** Asserts that each result is a chunk carrying its payload verbatim (what a pass-through relay forwards); returns them as chunks. */
export function expectVerbatim(results: ReadonlyArray<UpstreamChunk | null>, payloads: readonly string[], context: string): UpstreamChunk[] {
  expect(
    results.every((c) => c !== null),
    `${context}: no message before the end is null`,
  ).toBe(true);
  const chunks = results as UpstreamChunk[];
  expect(
    chunks.map((c) => c.raw),
    context,
  ).toEqual(payloads);
  return chunks;
}

/** What a whole recording comes to through the adapter: its canonical text, reasoning, tool calls, finish and usage. */
export function collect(adapter: ProviderAdapter, recording: string): AccumulatedStream {
  return accumulateEvents(replay(adapter, [recordedBytes(recording)]).events);
}

/** The bytes through the engine's FrameReader, as a relay reads them: frames up to the end, and how the stream failed (cut, corrupt, an error frame). */
export function readFrames(adapter: ProviderAdapter, pieces: readonly Uint8Array[]): { chunks: UpstreamChunk[]; failure: unknown } {
  const reader = new FrameReader(adapter);
  const chunks: UpstreamChunk[] = [];
  for (const piece of pieces) chunks.push(...reader.push(piece).chunks);
  chunks.push(...reader.finish().chunks);
  return { chunks, failure: reader.failure };
}

/** What a same-format relay of the bytes makes of them: the FrameReader relaying unread. */
export interface UnreadRelay {
  /** The bytes passed on, in order (an end marker the parser answers with null is left to the encoder). */
  bytes: Buffer;
  /** The usage tapped from the frames that were parsed. */
  usage: Usage | undefined;
  /** The answer's text, read back from the unparsed frames only now, as a cut stream's estimate would. */
  text: string;
  /** Frames that went out unparsed. */
  unread: number;
  failure: unknown;
}

/** The bytes through the engine's FrameReader relaying unread from the first byte (so every content frame goes unparsed). */
export function relayUnread(adapter: ProviderAdapter, pieces: readonly Uint8Array[]): UnreadRelay {
  const reader = new FrameReader(adapter);
  if (!reader.relayAs(true)) throw new Error("this adapter's streams are never relayed unread");
  const tap = new UsageTap((bytes) => reader.readUnread(bytes));
  const out: Uint8Array[] = [];
  let unread = 0;
  for (const read of [...pieces.map((piece) => reader.push(piece)), reader.finish()]) {
    for (const chunk of read.chunks) tap.observe(chunk.events, false);
    if (read.bytes) {
      out.push(read.bytes);
      tap.unparsed(read.bytes, read.unread);
    }
    unread += read.unread;
  }
  return { bytes: Buffer.concat(out), usage: tap.reported, text: tap.output().join(""), unread, failure: reader.failure };
}

/** What a tap keeps of parsed chunks, usage and text: what an unread relay must come to. */
export function tapped(chunks: readonly UpstreamChunk[]): { usage: Usage | undefined; text: string } {
  const tap = new UsageTap();
  for (const chunk of chunks) tap.observe(chunk.events);
  return { usage: tap.reported, text: tap.output().join("") };
}

// ---------------------------------------------------------------------------
// Cutting bytes, and the tests every recording gets
// ---------------------------------------------------------------------------

/** One byte per piece. */
function bytewise(bytes: Uint8Array): Uint8Array[] {
  return [...bytes].map((b) => Uint8Array.of(b));
}

/** `runs` seeded sets of random cuts; each context names the seed, to replay a failure with TOLLGATE_SEED. */
function randomCuts(bytes: Buffer, runs: number, maxPieces: number, context: string): Array<{ pieces: Buffer[]; context: string }> {
  const seed = testSeed();
  const rng = mulberry32(seed);
  return Array.from({ length: runs }, (_, run) => {
    const pieces = splitAtRandomOffsets(bytes, rng, maxPieces);
    expect(Buffer.concat(pieces).equals(bytes), "the pieces make up the bytes").toBe(true);
    return { pieces, context: `${context} run ${run}, ${seedMessage(seed)}` };
  });
}

export interface ReplayOptions {
  /** Also framed with \r\n (SSE); binary framings have no line endings. Default true. */
  crlf?: boolean;
  /** Sets of random cuts per framing; default 20. */
  randomRuns?: number;
  /** At most this many pieces per set; default 64. */
  maxPieces?: number;
  /** Also one byte at a time, and cut inside each multi-byte character. Default false. */
  everyByte?: boolean;
}

/**
 * The replay tests of one stream of `recording` (its payloads, or some of them): whole, at random
 * offsets (LF and CRLF), and, with `everyByte`, byte by byte and inside multi-byte characters.
 * `check` asserts everything a replay of the bytes must satisfy, however they were cut.
 */
export function itReplays(recording: string, payloads: readonly string[], check: (pieces: readonly Uint8Array[], context: string) => void, options: ReplayOptions = {}): void {
  const { crlf = true, randomRuns = 20, maxPieces = 64, everyByte = false } = options;
  const bytes = (framing: FramingOptions) => wireBytes(recording, payloads, framing);
  it("replays in one piece", () => {
    check([bytes({})], recording);
  });
  for (const framing of crlf ? (["LF", "CRLF"] as const) : ([undefined] as const)) {
    it(`replays split at ${randomRuns} sets of random offsets${framing ? ` (${framing})` : ""}`, () => {
      const cuts = randomCuts(bytes({ crlf: framing === "CRLF" }), randomRuns, maxPieces, `${recording}${framing ? ` ${framing}` : ""}`);
      for (const { pieces, context } of cuts) check(pieces, context);
    });
  }
  if (!everyByte) return;
  it(`replays one byte at a time${crlf ? " (CRLF)" : ""}`, () => {
    check(bytewise(bytes({ crlf })), `${recording} byte by byte`);
  });
  // Only some recordings hold non-ASCII text (sent as raw UTF-8).
  const tricky = trickyOffsets(bytes({}));
  if (tricky.length > 0) {
    it("replays split inside each multi-byte character", () => {
      for (const offset of tricky) check(splitAt(bytes({}), [offset]), `${recording} cut at ${offset}`);
    });
  }
}
