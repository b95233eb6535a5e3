/**
 * Test support for the recorded provider transcripts in test/fixtures/recorded
 * (see its README): locating and loading them, rebuilding their SSE framing,
 * splitting byte streams the way networks do, and computing what a correct parser
 * must extract from them, straight from the JSON (never through the code under test).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------
// Locating and loading recordings
// ---------------------------------------------------------------------------

const RECORDINGS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/recorded");

/** The recordings directory, inside the repository. */
export function fixturesDir(): string {
  return RECORDINGS_DIR;
}

/** Absolute path of a recording, e.g. fixturePath("mistral/mistral-text.chunks.txt"). */
function fixturePath(relPath: string): string {
  return path.join(fixturesDir(), relPath);
}

/** Recordings in one folder whose names end with `suffix`, as relative paths ("deepseek/deepseek-text.chunks.txt"), sorted. */
export function listFixtures(folder: string, suffix: string): string[] {
  return readdirSync(path.join(fixturesDir(), folder))
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => `${folder}/${name}`);
}

/** The text of a recording, as stored. */
export function loadText(relPath: string): string {
  return readFileSync(fixturePath(relPath), "utf8");
}

/** A `.json` recording, parsed. */
export function loadJson(relPath: string): unknown {
  return JSON.parse(loadText(relPath));
}

/** A `.chunks.txt` recording: one JSON payload per line, empty lines skipped. */
export function loadChunks(relPath: string): string[] {
  return loadText(relPath)
    .split(/\r?\n/)
    .filter((line) => line.trim().length > 0);
}

// ---------------------------------------------------------------------------
// SSE framing
// ---------------------------------------------------------------------------

export interface FramingOptions {
  /** End every line with \r\n instead of \n. */
  crlf?: boolean;
}

/** Rebuilds a Chat Completions stream: `data: <line>\n\n` per payload, then `data: [DONE]\n\n`. */
export function chatSseBytes(payloads: readonly string[], options: FramingOptions = {}): Buffer {
  const eol = options.crlf ? "\r\n" : "\n";
  let text = "";
  for (const payload of payloads) text += `data: ${payload}${eol}${eol}`;
  text += `data: [DONE]${eol}${eol}`;
  return Buffer.from(text, "utf8");
}

/** Rebuilds a stream whose events are named by their payload's `type` (Anthropic, OpenAI Responses): `event: <type>\ndata: <line>\n\n`. */
export function namedEventSseBytes(payloads: readonly string[], options: FramingOptions = {}): Buffer {
  const eol = options.crlf ? "\r\n" : "\n";
  let text = "";
  for (const payload of payloads) {
    const type = (JSON.parse(payload) as { type?: unknown }).type;
    if (typeof type !== "string") throw new Error(`Payload has no string "type" field: ${payload.slice(0, 80)}`);
    text += `event: ${type}${eol}data: ${payload}${eol}${eol}`;
  }
  return Buffer.from(text, "utf8");
}

// ---------------------------------------------------------------------------
// Reproducible randomness and splitting
// ---------------------------------------------------------------------------

/** A source of floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: a small, fast, seeded PRNG (same seed, same sequence). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seed for a randomized test: $TOLLGATE_SEED when set (to replay a failure), else
 * a fresh one. Put it in assertion messages (see `seedMessage`) so failures can be replayed.
 */
export function testSeed(): number {
  const fixed = process.env.TOLLGATE_SEED;
  if (fixed !== undefined && fixed !== "") {
    const n = Number(fixed);
    if (!Number.isInteger(n)) throw new Error(`TOLLGATE_SEED must be an integer, got "${fixed}".`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** Text for an assertion message naming the seed and how to replay it. */
export function seedMessage(seed: number, context = ""): string {
  return `${context ? `${context}, ` : ""}seed=${seed} (replay with TOLLGATE_SEED=${seed})`;
}

/** A uniform integer in [min, max]. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/**
 * Byte offsets where a cut is most likely to expose a bug: inside a multi-byte UTF-8
 * character (before a continuation byte) and between \r and \n.
 */
export function trickyOffsets(buf: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < buf.length; i++) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80 || (b === 0x0a && buf[i - 1] === 0x0d)) out.push(i);
  }
  return out;
}

/**
 * Splits `buf` into between 1 and `maxPieces` non-empty Buffers at random byte offsets.
 * About half the cuts (when there are any) land on `trickyOffsets`, i.e. inside a
 * multi-byte UTF-8 character or between \r and \n; the rest are uniform.
 * Concatenating the pieces gives back `buf`.
 */
export function splitAtRandomOffsets(buf: Uint8Array, rng: Rng, maxPieces: number): Buffer[] {
  const whole = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (whole.length <= 1 || maxPieces <= 1) return [whole];
  const pieces = randomInt(rng, 1, Math.min(maxPieces, whole.length));
  const tricky = trickyOffsets(whole);
  const cuts = new Set<number>();
  // Bounded attempts: duplicates are skipped, so this may yield slightly fewer pieces.
  for (let attempt = 0; cuts.size < pieces - 1 && attempt < pieces * 4; attempt++) {
    const useTricky = tricky.length > 0 && rng() < 0.5;
    cuts.add(useTricky ? tricky[Math.floor(rng() * tricky.length)]! : randomInt(rng, 1, whole.length - 1));
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of sorted) {
    out.push(whole.subarray(prev, cut));
    prev = cut;
  }
  out.push(whole.subarray(prev));
  return out;
}

/** Splits `buf` at exactly the given offsets (out-of-range and duplicate offsets ignored); pieces may be empty only if `buf` is. */
export function splitAt(buf: Uint8Array, offsets: readonly number[]): Buffer[] {
  const whole = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const sorted = [...new Set(offsets)].filter((o) => o > 0 && o < whole.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of sorted) {
    out.push(whole.subarray(prev, cut));
    prev = cut;
  }
  out.push(whole.subarray(prev));
  return out;
}

// ---------------------------------------------------------------------------
// Expected results, computed from the recordings themselves
// ---------------------------------------------------------------------------

export interface ExpectedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ExpectedChoice {
  index: number;
  /** Concatenated `delta.content`. */
  text: string;
  /** Concatenated `delta.reasoning_content` (or `delta.reasoning`). */
  reasoning: string;
  /** Merged by `index` (array position when absent, as Mistral sends them), ordered by index. */
  toolCalls: ExpectedToolCall[];
  /** The wire `finish_reason`, as sent; null when none came. */
  finishReason: string | null;
}

/** Usage in the canonical shape, derived from the provider's own figures. */
export interface ExpectedUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  source: "reported";
}

export interface ExpectedChatStream {
  /** Ordered by choice index. */
  choices: ExpectedChoice[];
  /** From the last chunk carrying a usage object; null when none did. */
  usage: ExpectedUsage | null;
  /** That usage object as the provider sent it. */
  rawUsage: Record<string, unknown> | null;
  /** Per payload: true when it carries usage and no choices (OpenAI's include_usage chunk). */
  usageOnly: boolean[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

/**
 * Chat Completions usage in canonical form: input = prompt_tokens, output =
 * completion_tokens, cached = prompt_tokens_details.cached_tokens (else DeepSeek's
 * prompt_cache_hit_tokens), reasoning = completion_tokens_details.reasoning_tokens.
 */
function expectedUsageFromOpenAI(raw: Json): ExpectedUsage {
  const promptDetails = isObject(raw.prompt_tokens_details) ? raw.prompt_tokens_details : {};
  const completionDetails = isObject(raw.completion_tokens_details) ? raw.completion_tokens_details : {};
  const cached = typeof promptDetails.cached_tokens === "number" ? promptDetails.cached_tokens : num(raw.prompt_cache_hit_tokens);
  return {
    inputTokens: num(raw.prompt_tokens),
    // xAI reports reasoning beside completion_tokens (total = prompt + completion + reasoning).
    outputTokens:
      num(raw.completion_tokens) +
      (num(completionDetails.reasoning_tokens) > 0 && num(raw.total_tokens) === num(raw.prompt_tokens) + num(raw.completion_tokens) + num(completionDetails.reasoning_tokens)
        ? num(completionDetails.reasoning_tokens)
        : 0),
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
    reasoningTokens: num(completionDetails.reasoning_tokens),
    source: "reported",
  };
}

interface ChoiceAccumulator {
  index: number;
  text: string;
  reasoning: string;
  tools: Map<number, ExpectedToolCall>;
  finishReason: string | null;
}

function choiceSlot(map: Map<number, ChoiceAccumulator>, index: number): ChoiceAccumulator {
  let slot = map.get(index);
  if (!slot) {
    slot = { index, text: "", reasoning: "", tools: new Map(), finishReason: null };
    map.set(index, slot);
  }
  return slot;
}

function finishChoices(map: Map<number, ChoiceAccumulator>): ExpectedChoice[] {
  return [...map.values()]
    .sort((a, b) => a.index - b.index)
    .map((c) => ({
      index: c.index,
      text: c.text,
      reasoning: c.reasoning,
      toolCalls: [...c.tools.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t),
      finishReason: c.finishReason,
    }));
}

/** What a correct parser must extract from a Chat Completions stream, computed from the JSON payloads alone. */
export function expectedFromChatChunks(payloads: readonly string[]): ExpectedChatStream {
  const choices = new Map<number, ChoiceAccumulator>();
  let rawUsage: Json | null = null;
  const usageOnly: boolean[] = [];
  for (const payload of payloads) {
    const chunk = JSON.parse(payload) as unknown;
    if (!isObject(chunk)) throw new Error(`Not a chunk object: ${payload.slice(0, 80)}`);
    const wireChoices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
    wireChoices.forEach((wc, position) => {
      if (!isObject(wc)) return;
      const slot = choiceSlot(choices, typeof wc.index === "number" ? wc.index : position);
      const delta = isObject(wc.delta) ? wc.delta : {};
      if (typeof delta.content === "string") slot.text += delta.content;
      if (typeof delta.reasoning_content === "string") slot.reasoning += delta.reasoning_content;
      else if (typeof delta.reasoning === "string") slot.reasoning += delta.reasoning;
      const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]) : [];
      calls.forEach((call, callPosition) => {
        if (!isObject(call)) return;
        const index = typeof call.index === "number" ? call.index : callPosition;
        let tool = slot.tools.get(index);
        if (!tool) {
          tool = { id: "", name: "", arguments: "" };
          slot.tools.set(index, tool);
        }
        if (typeof call.id === "string" && call.id !== "") tool.id = call.id;
        const fn = isObject(call.function) ? call.function : {};
        if (typeof fn.name === "string" && fn.name !== "") tool.name = fn.name;
        if (typeof fn.arguments === "string") tool.arguments += fn.arguments;
      });
      if (typeof wc.finish_reason === "string" && wc.finish_reason !== "") slot.finishReason = wc.finish_reason;
    });
    const hasUsage = isObject(chunk.usage);
    if (hasUsage) rawUsage = chunk.usage as Json;
    usageOnly.push(hasUsage && wireChoices.length === 0);
  }
  return {
    choices: finishChoices(choices),
    usage: rawUsage ? expectedUsageFromOpenAI(rawUsage) : null,
    rawUsage,
    usageOnly,
  };
}

interface ExpectedChatResponseChoice {
  index: number;
  /** `message.content` as sent (null when absent). */
  text: string | null;
  /** `message.reasoning_content`, when non-empty. */
  reasoning?: string;
  /** When the message has at least one. */
  toolCalls?: ExpectedToolCall[];
  /** The wire `finish_reason`. */
  finishReason: string | null;
}

export interface ExpectedChatResponse {
  id: string;
  model: string;
  created: number;
  choices: ExpectedChatResponseChoice[];
  usage: ExpectedUsage | null;
}

/** What a correct parser must extract from a non-streamed Chat Completions body, computed from the JSON alone. */
export function expectedFromChatResponse(body: unknown): ExpectedChatResponse {
  if (!isObject(body) || !Array.isArray(body.choices)) throw new Error("Not a chat completion body.");
  const choices = (body.choices as unknown[]).map((wc, position): ExpectedChatResponseChoice => {
    const c = isObject(wc) ? wc : {};
    const message = isObject(c.message) ? c.message : {};
    const out: ExpectedChatResponseChoice = {
      index: typeof c.index === "number" ? c.index : position,
      text: typeof message.content === "string" ? message.content : null,
      finishReason: typeof c.finish_reason === "string" ? c.finish_reason : null,
    };
    if (typeof message.reasoning_content === "string" && message.reasoning_content !== "") out.reasoning = message.reasoning_content;
    const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]) : [];
    if (calls.length > 0) {
      out.toolCalls = calls.map((call) => {
        const t = isObject(call) ? call : {};
        const fn = isObject(t.function) ? t.function : {};
        return {
          id: typeof t.id === "string" ? t.id : "",
          name: typeof fn.name === "string" ? fn.name : "",
          arguments: typeof fn.arguments === "string" ? fn.arguments : "",
        };
      });
    }
    return out;
  });
  return {
    id: typeof body.id === "string" ? body.id : "",
    model: typeof body.model === "string" ? body.model : "",
    created: typeof body.created === "number" ? body.created : 0,
    choices,
    usage: isObject(body.usage) ? expectedUsageFromOpenAI(body.usage) : null,
  };
}

/** The Chat Completions recordings (OpenAI, xAI, DeepSeek, Mistral): folder names. */
export const CHAT_FORMAT_FOLDERS = ["openai-chat", "openai-compatible", "deepseek", "mistral"] as const;

/** Cuts at the given offsets (taken modulo length + 1), empty pieces included. */
export function cutAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const offsets = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    pieces.push(bytes.subarray(prev, o));
    prev = o;
  }
  pieces.push(bytes.subarray(prev));
  return pieces;
}
