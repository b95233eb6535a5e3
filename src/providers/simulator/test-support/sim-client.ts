import { createOpenAIChatAdapter } from "../../openai/adapter.js";
import type { HttpRequestSpec } from "../../../transport/http-transport.js";
import type { TransportOptions, UpstreamHttpResponse } from "../../../transport/http-transport.js";
import type { UpstreamBody } from "../../../transport/upstream-body.js";
import { SseDecoder, type SseMessage } from "../../../sse/decoder.js";
import type { CanonicalRequest } from "../../../spec/canonical-request.js";
import type { StreamEvent } from "../../../spec/stream-events.js";
import { SIMULATOR_BASE_URL, type SimulatorConfig } from "../index.js";

/** The adapter the gateway pairs with the simulator. */
export const adapter = createOpenAIChatAdapter({ baseURL: SIMULATOR_BASE_URL, headers: {}, streamUsageOption: true });

/** A fast simulator: no first-token wait, tokens as fast as the host allows. */
export function simConfig(overrides: Partial<SimulatorConfig> = {}): SimulatorConfig {
  return { type: "simulator", name: "sim", ttftMs: 0, tokensPerSecond: 1e9, answerTokens: 40, ...overrides };
}

/** The HTTP request the OpenAI chat adapter builds for a client body. */
export function chatSpec(body: Record<string, unknown>, model = "sim"): HttpRequestSpec {
  const request: CanonicalRequest = {
    model: "route",
    messages: [],
    stream: body.stream === true,
    includeUsage: false,
    inbound: { api: "openai-chat", body },
  };
  return adapter.buildRequest(request, model);
}

export function sendOptions(signal: AbortSignal = new AbortController().signal, headersTimeoutMs = 0): TransportOptions {
  return { signal, connectTimeoutMs: 1000, headersTimeoutMs };
}

export interface ReadResult {
  /** How many buffers the body yielded. */
  buffers: number;
  messages: SseMessage[];
  text: string;
  /** What the body iteration threw, if it did. */
  error?: unknown;
}

/** A body's bytes read one at a time, as an iterator (listening from now on, so nothing is missed). */
export function bodyIterator(body: UpstreamBody): AsyncIterator<Uint8Array, undefined> {
  const queue: Uint8Array[] = [];
  let over: { failed: boolean; err?: unknown } | undefined;
  let wake: (() => void) | undefined;
  const woken = () => {
    wake?.();
    wake = undefined;
  };
  body.listen({
    data: (bytes) => {
      queue.push(bytes);
      woken();
    },
    end: () => {
      over = { failed: false };
      woken();
    },
    error: (err) => {
      over = { failed: true, err };
      woken();
    },
  });
  return {
    async next() {
      while (queue.length === 0 && !over) await new Promise<void>((resolve) => (wake = resolve));
      if (queue.length > 0) return { done: false, value: queue.shift()! };
      if (over!.failed) throw over!.err;
      return { done: true, value: undefined };
    },
  };
}

/** Reads a whole body, recording a thrown error instead of rethrowing it. */
export async function readBody(res: UpstreamHttpResponse): Promise<ReadResult> {
  const decoder = new SseDecoder();
  const utf8 = new TextDecoder();
  const result: ReadResult = { buffers: 0, messages: [], text: "" };
  const iterator = bodyIterator(res.body);
  try {
    for await (const chunk of { [Symbol.asyncIterator]: () => iterator }) {
      result.buffers++;
      result.text += utf8.decode(chunk, { stream: true });
      result.messages.push(...decoder.push(chunk));
    }
    result.messages.push(...decoder.end());
  } catch (err) {
    result.error = err;
  }
  return result;
}

export interface ParsedStream {
  events: StreamEvent[];
  /** Text per choice. */
  text: Map<number, string>;
  /** The content pieces of each choice, one per chunk. */
  pieces: Map<number, string[]>;
  finish: Map<number, string | undefined>;
  /** The raw JSON of every chunk before [DONE]. */
  chunks: Record<string, unknown>[];
  done: boolean;
}

/** Parses SSE messages with the OpenAI adapter, as the gateway does. */
export function parseStream(messages: SseMessage[]): ParsedStream {
  const parsed: ParsedStream = { events: [], text: new Map(), pieces: new Map(), finish: new Map(), chunks: [], done: false };
  messages.forEach((message, i) => {
    const chunk = adapter.parseStreamMessage(message, i === 0);
    if (chunk === null) {
      parsed.done = true;
      return;
    }
    parsed.chunks.push(JSON.parse(chunk.raw) as Record<string, unknown>);
    for (const event of chunk.events) {
      parsed.events.push(event);
      if (event.type === "text-delta") {
        parsed.text.set(event.choice, (parsed.text.get(event.choice) ?? "") + event.text);
        parsed.pieces.set(event.choice, [...(parsed.pieces.get(event.choice) ?? []), event.text]);
      }
      if (event.type === "finish") parsed.finish.set(event.choice, event.raw);
    }
  });
  return parsed;
}

/** Lets the event loop run a number of turns: enough for any due (virtual-clock) work to happen. */
export async function turns(count = 50): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface QuietRead {
  /** Everything the body yielded before it went quiet, decoded. */
  text: string;
  /** The read that has not settled: the body is stalled on it. */
  pending: Promise<IteratorResult<Uint8Array, undefined>>;
}

/** Reads a body until a read does not settle within some event-loop turns (a stall). */
export async function readUntilQuiet(body: UpstreamBody): Promise<QuietRead> {
  const iterator = bodyIterator(body);
  const utf8 = new TextDecoder();
  let text = "";
  for (;;) {
    const next = iterator.next();
    let settled = false;
    next.then(
      () => (settled = true),
      () => (settled = true),
    );
    await turns();
    if (!settled) return { text, pending: next };
    const result = await next;
    if (result.done) throw new Error("the body ended instead of stalling");
    text += utf8.decode(result.value, { stream: true });
  }
}
