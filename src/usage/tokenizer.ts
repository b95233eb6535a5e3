import { encode, decode } from "gpt-tokenizer";
import type { Message } from "../spec/canonical-request.js";
import { BoundedMemo } from "./bounded-memo.js";
import { countByPieces } from "./o200k-pieces.js";

/** Texts shorter than this (names, arguments like `{}`) are counted afresh rather than crowd the memo. */
const MEMO_MIN_CHARS = 16;
/** The memo holds at most this many characters of text (about 8 MB), the least used dropped first. */
const MEMO_MAX_CHARS = 4_000_000;
const memo = new BoundedMemo<number>(MEMO_MAX_CHARS, (text) => text.length);
/**
 * A text shorter than this (counted in a few µs) enters the memo only when it comes back while
 * still in `recent`: most are a request's new message, never seen again, and keeping each in the
 * memo among ~30k others cost more (1–2 µs a text: a large table's misses, the collector's
 * copies) than counting it. A longer one (an agent's history) enters at once.
 */
const ADMIT_AT_ONCE_CHARS = 1024;
/** Short texts seen once, by characters: about the last thousand requests' new messages. */
const RECENT_MAX_CHARS = 256 * 1024;
const recent = new BoundedMemo<number>(RECENT_MAX_CHARS, (text) => text.length);

/**
 * Token counting with OpenAI's o200k_base encoding. Exact for current OpenAI models,
 * a close estimate for others: used only where a provider reports nothing. A special token's
 * spelling (`<|endoftext|>`) in a text is plain text, as in a message to OpenAI's API.
 *
 * Counts are remembered by text: a system prompt, tool definitions and an agent's history
 * come back on every request (and each request counts its prompt twice), and counting runs at
 * ~40 MB/s (a 100k-token context costs ~10 ms) where a lookup hashes at ~1 GB/s.
 */
export function countTextTokens(text: string): number {
  if (text.length < MEMO_MIN_CHARS) return countByPieces(text);
  const known = memo.get(text);
  if (known !== undefined) return known;
  if (text.length < ADMIT_AT_ONCE_CHARS) {
    const seen = recent.get(text);
    if (seen !== undefined) {
      memo.set(text, seen);
      return seen;
    }
    const count = countByPieces(text);
    recent.set(text, count);
    return count;
  }
  const count = countByPieces(text);
  if (text.length <= MEMO_MAX_CHARS / 4) memo.set(text, count);
  return count;
}

export { encode as encodeTokens, decode as decodeTokens };

// OpenAI's published chat overhead: 3 tokens per message, 3 to prime the reply.
const PER_MESSAGE = 3;
const REPLY_PRIMER = 3;

export function countMessageTokens(messages: readonly Message[]): number {
  let total = REPLY_PRIMER;
  for (const m of messages) {
    total += PER_MESSAGE;
    if (typeof m.content === "string") total += countTextTokens(m.content);
    else if (m.content) for (const part of m.content) if (part.type === "text") total += countTextTokens(part.text);
    if (m.name) total += countTextTokens(m.name) + 1;
    for (const call of m.toolCalls ?? []) total += countTextTokens(call.name) + countTextTokens(call.arguments);
  }
  return total;
}
