/**
 * What a correct parser must extract from the recorded Anthropic Messages transcripts,
 * computed from the JSON payloads alone (never through the code under test), in the
 * same shape as `expectedFromChatChunks` so a replay compares with one toEqual.
 */
import type { ExpectedChoice, ExpectedToolCall, ExpectedUsage } from "./fixtures.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

/** Anthropic's counters, cumulative: a later usage object's fields replace earlier ones. */
interface RawFigures {
  input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  output_tokens: number;
  thinking_tokens: number;
}

function overwrite(figures: RawFigures, usage: Json): void {
  for (const field of ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens"] as const) {
    const v = num(usage[field]);
    if (v !== undefined) figures[field] = v;
  }
  const details = isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const thinking = num(details.thinking_tokens);
  if (thinking !== undefined) figures.thinking_tokens = thinking;
}

/**
 * Canonical usage from Anthropic's figures: its input_tokens leaves out the tokens read
 * from and written to the cache; canonical input counts them.
 */
export function expectedUsageFromAnthropic(raw: Json): ExpectedUsage {
  const f: RawFigures = { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: 0, thinking_tokens: 0 };
  overwrite(f, raw);
  return toExpected(f);
}

function toExpected(f: RawFigures): ExpectedUsage {
  return {
    inputTokens: f.input_tokens + f.cache_read_input_tokens + f.cache_creation_input_tokens,
    outputTokens: f.output_tokens,
    cachedInputTokens: f.cache_read_input_tokens,
    cacheWriteTokens: f.cache_creation_input_tokens,
    reasoningTokens: f.thinking_tokens,
    source: "reported",
  };
}

export interface ExpectedAnthropicStream {
  id: string;
  model: string;
  /** One choice (Messages has one answer); `finishReason` is the wire stop_reason. */
  choices: ExpectedChoice[];
  /** message_start's usage overwritten by every message_delta's; null when neither had one. */
  usage: ExpectedUsage | null;
  /** The `type` of each payload, in order (the SSE event names). */
  types: string[];
}

/** What a correct parser must extract from a Messages stream's payloads. */
export function expectedFromAnthropicChunks(payloads: readonly string[]): ExpectedAnthropicStream {
  let id = "";
  let model = "";
  let text = "";
  let reasoning = "";
  let finishReason: string | null = null;
  let figures: RawFigures | null = null;
  const tools = new Map<number, ExpectedToolCall & { startInput: string }>();
  const types: string[] = [];
  for (const payload of payloads) {
    const event = JSON.parse(payload) as unknown;
    if (!isObject(event) || typeof event.type !== "string") throw new Error(`Not an event: ${payload.slice(0, 80)}`);
    types.push(event.type);
    switch (event.type) {
      case "message_start": {
        const message = isObject(event.message) ? event.message : {};
        id = typeof message.id === "string" ? message.id : "";
        model = typeof message.model === "string" ? message.model : "";
        if (isObject(message.usage)) {
          figures ??= { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: 0, thinking_tokens: 0 };
          overwrite(figures, message.usage);
        }
        // A message sent whole in message_start (programmatic tool calling's continuations).
        if (typeof message.stop_reason === "string") finishReason = message.stop_reason;
        (Array.isArray(message.content) ? message.content : []).filter(isObject).forEach((block, i) => {
          if (block.type === "text" && typeof block.text === "string") text += block.text;
          if (block.type === "tool_use") tools.set(i - 1_000_000, { id: String(block.id), name: String(block.name), arguments: "", startInput: JSON.stringify(block.input ?? {}) });
        });
        break;
      }
      case "content_block_start": {
        const block = isObject(event.content_block) ? event.content_block : {};
        if (block.type === "text" && typeof block.text === "string") text += block.text;
        if (block.type === "thinking" && typeof block.thinking === "string") reasoning += block.thinking;
        if (block.type === "tool_use") {
          const input = isObject(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : "";
          tools.set(event.index as number, { id: String(block.id), name: String(block.name), arguments: "", startInput: input });
        }
        break;
      }
      case "content_block_delta": {
        const delta = isObject(event.delta) ? event.delta : {};
        if (delta.type === "text_delta") text += String(delta.text);
        if (delta.type === "thinking_delta") reasoning += String(delta.thinking);
        if (delta.type === "input_json_delta") {
          const tool = tools.get(event.index as number);
          if (tool) tool.arguments += String(delta.partial_json);
        }
        break;
      }
      case "message_delta": {
        const delta = isObject(event.delta) ? event.delta : {};
        if (typeof delta.stop_reason === "string") finishReason = delta.stop_reason;
        if (isObject(event.usage)) {
          figures ??= { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: 0, thinking_tokens: 0 };
          overwrite(figures, event.usage);
        }
        break;
      }
    }
  }
  const toolCalls = [...tools.entries()]
    .sort((a, b) => a[0] - b[0])
    // No input at all means input {}: the arguments text a Chat client can parse.
    .map(([, t]) => ({ id: t.id, name: t.name, arguments: t.startInput + t.arguments || "{}" }));
  return {
    id,
    model,
    choices: [{ index: 0, text, reasoning, toolCalls, finishReason }],
    usage: figures ? toExpected(figures) : null,
    types,
  };
}

/** The streams of a recording: some hold several exchanges recorded one after another (programmatic tool calling's rounds), each ending with message_stop. */
export function anthropicExchanges(payloads: readonly string[]): string[][] {
  const exchanges: string[][] = [[]];
  for (const p of payloads) {
    exchanges.at(-1)!.push(p);
    if ((JSON.parse(p) as { type?: unknown }).type === "message_stop") exchanges.push([]);
  }
  return exchanges.filter((e) => e.length > 0);
}

export interface ExpectedAnthropicResponse {
  id: string;
  model: string;
  /** Text blocks joined; null when there is none. */
  text: string | null;
  /** Thinking blocks joined; absent when empty. */
  reasoning?: string;
  /** tool_use blocks with their input as JSON text; absent when none. */
  toolCalls?: ExpectedToolCall[];
  /** The wire stop_reason. */
  stopReason: string | null;
  usage: ExpectedUsage | null;
}

/** What a correct parser must extract from a non-streamed Messages body. */
export function expectedFromAnthropicResponse(body: unknown): ExpectedAnthropicResponse {
  if (!isObject(body) || !Array.isArray(body.content)) throw new Error("Not a message body.");
  const blocks = (body.content as unknown[]).filter(isObject);
  const texts = blocks.filter((b) => b.type === "text").map((b) => String(b.text));
  const thinking = blocks
    .filter((b) => b.type === "thinking")
    .map((b) => String(b.thinking))
    .join("");
  const tools = blocks.filter((b) => b.type === "tool_use").map((b) => ({ id: String(b.id), name: String(b.name), arguments: JSON.stringify(b.input) }));
  const out: ExpectedAnthropicResponse = {
    id: typeof body.id === "string" ? body.id : "",
    model: typeof body.model === "string" ? body.model : "",
    text: texts.length > 0 ? texts.join("") : null,
    stopReason: typeof body.stop_reason === "string" ? body.stop_reason : null,
    usage: isObject(body.usage) ? expectedUsageFromAnthropic(body.usage) : null,
  };
  if (thinking !== "") out.reasoning = thinking;
  if (tools.length > 0) out.toolCalls = tools;
  return out;
}
