import { countTextTokens, decodeTokens, encodeTokens } from "../../usage/tokenizer.js";

/** How a choice ended, in OpenAI's words. */
export type WireFinishReason = "stop" | "length" | "tool_calls";

/** One token per item; the return value is the finish reason. */
export type TokenPieces = Generator<string, WireFinishReason, undefined>;

/** The text of each token of `text`, in order (ASCII text decodes token by token). */
function tokenTexts(text: string): string[] {
  return encodeTokens(text).map((token) => decodeTokens([token]));
}

/**
 * The longest prefix of `tokens`, at most `k` long, whose text re-encodes to exactly as
 * many tokens: cutting there keeps "tokens streamed" equal to "tokens re-counted".
 */
function consistentPrefix(tokens: readonly number[], k: number): string[] {
  for (let j = Math.min(k, tokens.length); j > 0; j--) {
    const prefix = tokens.slice(0, j);
    if (countTextTokens(decodeTokens(prefix)) === j) return prefix.map((t) => decodeTokens([t]));
  }
  return [];
}

/** Exactly `remaining` tokens that end a sentence with a full stop, when the tokenizer allows. */
function closedPrefix(tokens: readonly number[], remaining: number): string[] | undefined {
  if (remaining < 3) return undefined;
  const text = decodeTokens(tokens.slice(0, remaining - 1)).replace(/[^A-Za-z0-9]+$/, "");
  const closed = encodeTokens(`${text}.`);
  return closed.length === remaining ? closed.map((t) => decodeTokens([t])) : undefined;
}

/** Short sentences that close an answer in the last few tokens. */
const CLOSERS = [" Thanks.", " Done.", " Hope this helps.", " Good luck."];

/** The end of an unlimited answer: at most `remaining` tokens, as close to it as the tokenizer allows, ending a sentence. */
function ending(tokens: readonly number[], remaining: number): string[] {
  for (let k = remaining; k > 0; k--) {
    const closed = closedPrefix(tokens, k);
    if (closed) return closed;
    const closer = CLOSERS.find((c) => countTextTokens(c) === k);
    if (closer) return tokenTexts(closer);
  }
  return [];
}

/**
 * Streams sentences token by token up to `target` tokens. With `limited` (the request set
 * max tokens) the answer is cut at exactly `target` and finishes with "length"; otherwise
 * the last sentence is closed early (exactly at `target` when the tokenizer allows, a token
 * short otherwise) and the answer finishes with "stop".
 */
export function* sentencePieces(sentences: Iterator<string>, target: number, limited: boolean): TokenPieces {
  let emitted = 0;
  while (emitted < target) {
    const next = sentences.next();
    if (next.done) break;
    const tokens = encodeTokens(next.value);
    const remaining = target - emitted;
    if (tokens.length <= remaining) {
      for (const token of tokens) yield decodeTokens([token]);
      emitted += tokens.length;
      continue;
    }
    yield* limited ? consistentPrefix(tokens, remaining) : ending(tokens, remaining);
    break;
  }
  return limited ? "length" : "stop";
}

/** A fixed text token by token, e.g. a tool call's arguments; cut at `limit` tokens with "length". */
export function* fixedPieces(text: string, finish: WireFinishReason, limit?: number): TokenPieces {
  const pieces = tokenTexts(text);
  if (limit !== undefined && pieces.length > limit) {
    yield* pieces.slice(0, limit);
    return "length";
  }
  yield* pieces;
  return finish;
}

/**
 * The pieces up to the first stop sequence (which, as with OpenAI, is not sent),
 * finishing with "stop" when one was found. Generated to the end first: a stop
 * sequence may span pieces.
 */
export function* stoppedPieces(pieces: TokenPieces, stops: readonly string[]): TokenPieces {
  const all: string[] = [];
  let next = pieces.next();
  while (!next.done) {
    all.push(next.value);
    next = pieces.next();
  }
  const text = all.join("");
  const cut = Math.min(...stops.map((s) => (s === "" ? Infinity : text.indexOf(s))).map((i) => (i < 0 ? Infinity : i)));
  if (cut === Infinity) {
    yield* all;
    return next.value;
  }
  yield* tokenTexts(text.slice(0, cut));
  return "stop";
}
