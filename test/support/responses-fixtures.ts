/**
 * The OpenAI Responses recordings (test/fixtures/recorded/openai-responses): what a
 * correct parser must extract from them, computed from the JSON payloads alone (never
 * through the code under test), in the canonical terms of test/support/canonical-events.ts.
 */
import type { ExpectedToolCall, ExpectedUsage } from "./fixtures.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

export interface ExpectedResponsesStream {
  /** From response.created. */
  id: string;
  model: string;
  created: number;
  /** Concatenated output_text deltas. */
  text: string;
  /** The finished reasoning items' summary texts (output_item.done), joined with a blank line. */
  reasoning: string;
  /** Function call items in the order they were added: call_id, name, and their argument deltas concatenated. */
  toolCalls: ExpectedToolCall[];
  /** Canonical finish: "tool_calls" when a function call was made, "stop" otherwise; "length" etc. for an incomplete response; null when the stream has no completed/incomplete event. */
  finishReason: string | null;
  /** From the terminal response's usage. */
  usage: ExpectedUsage | null;
  /** The provider's message when the stream carries an `error` event or ends in response.failed. */
  error: string | null;
  /** Position of the payload that ends the stream (terminal event, the error, or a payload that is not JSON); -1 when none does. */
  last: number;
  /** True when the payload at `last` is not valid JSON. */
  malformed: boolean;
}

/** Responses usage in canonical form: input_tokens (cached: input_tokens_details.cached_tokens), output_tokens (reasoning: output_tokens_details.reasoning_tokens). */
export function expectedUsageFromResponses(raw: Json): ExpectedUsage {
  const inDetails = isObject(raw.input_tokens_details) ? raw.input_tokens_details : {};
  const outDetails = isObject(raw.output_tokens_details) ? raw.output_tokens_details : {};
  return {
    inputTokens: num(raw.input_tokens),
    outputTokens: num(raw.output_tokens),
    cachedInputTokens: num(inDetails.cached_tokens),
    cacheWriteTokens: 0,
    reasoningTokens: num(outDetails.reasoning_tokens),
    source: "reported",
  };
}

/** The `type` a payload starts with, read without parsing it (some recorded lines are not valid JSON). */
export function payloadType(payload: string): string {
  const match = /^\{"type":\s*"([^"]+)"/.exec(payload);
  if (!match) throw new Error(`Payload does not start with a "type" field: ${payload.slice(0, 80)}`);
  return match[1]!;
}

/** Like namedEventSseBytes, for payloads that may not be valid JSON: `event: <type>\ndata: <line>\n\n`. */
export function responsesSseBytes(payloads: readonly string[], options: { crlf?: boolean } = {}): Buffer {
  const eol = options.crlf ? "\r\n" : "\n";
  return Buffer.from(payloads.map((p) => `event: ${payloadType(p)}${eol}data: ${p}${eol}${eol}`).join(""), "utf8");
}

/**
 * Recorded lines that are not valid JSON, and their repair. parallel-tool-call-wrapper.1
 * has two lines (response.created, response.completed) missing their last closing brace,
 * a copying slip; replays check that such a line is refused, and separately that the
 * repaired stream parses.
 */
export function repairTruncatedPayloads(payloads: readonly string[]): string[] {
  return payloads.map((p) => {
    try {
      JSON.parse(p);
      return p;
    } catch {
      JSON.parse(`${p}}`);
      return `${p}}`;
    }
  });
}

/** A recording may hold several streams one after the other (an agent's turns): split it at each response.created. */
export function splitResponsesStreams(payloads: readonly string[]): string[][] {
  const streams: string[][] = [];
  for (const payload of payloads) {
    const type = payloadType(payload);
    if (type === "response.created" || streams.length === 0) streams.push([]);
    streams.at(-1)!.push(payload);
  }
  return streams;
}

/** What a correct parser must extract from one Responses stream, from the JSON payloads alone. */
export function expectedFromResponsesChunks(payloads: readonly string[]): ExpectedResponsesStream {
  const out: ExpectedResponsesStream = { id: "", model: "", created: 0, text: "", reasoning: "", toolCalls: [], finishReason: null, usage: null, error: null, last: -1, malformed: false };
  const calls = new Map<string, ExpectedToolCall & { done?: string }>();
  const reasoning: string[] = [];
  let textDone = "";
  for (let i = 0; i < payloads.length; i++) {
    let e: Json;
    try {
      e = JSON.parse(payloads[i]!) as Json;
    } catch {
      out.last = i;
      out.malformed = true;
      break;
    }
    const type = str(e.type);
    const response = isObject(e.response) ? e.response : {};
    const item = isObject(e.item) ? e.item : {};
    if (type === "response.created") {
      out.id = str(response.id);
      out.model = str(response.model);
      out.created = num(response.created_at);
    } else if (type === "response.output_text.delta") out.text += str(e.delta);
    else if (type === "response.output_text.done") textDone += str(e.text);
    else if (type === "response.output_item.added" && item.type === "function_call") {
      calls.set(str(item.id), { id: str(item.call_id), name: str(item.name), arguments: str(item.arguments) });
    } else if (type === "response.function_call_arguments.delta") calls.get(str(e.item_id))!.arguments += str(e.delta);
    else if (type === "response.function_call_arguments.done") calls.get(str(e.item_id))!.done = str(e.arguments);
    else if (type === "response.output_item.done" && item.type === "reasoning") {
      for (const part of Array.isArray(item.summary) ? item.summary : []) reasoning.push(str((part as Json).text));
    } else if (type === "error") {
      const nested = isObject(e.error) ? e.error : e;
      out.error = str(nested.message);
      out.last = i;
      break;
    } else if (TERMINAL.has(type)) {
      out.last = i;
      if (type === "response.failed") {
        out.error = str(isObject(response.error) ? response.error.message : "");
        break;
      }
      const outputCalls = (Array.isArray(response.output) ? response.output : []).filter((o) => isObject(o) && o.type === "function_call");
      if (type === "response.completed") out.finishReason = calls.size > 0 || outputCalls.length > 0 ? "tool_calls" : "stop";
      else {
        const why = isObject(response.incomplete_details) ? str(response.incomplete_details.reason) : "";
        out.finishReason = why === "max_output_tokens" ? "length" : why === "content_filter" ? "content_filter" : "other";
      }
      if (isObject(response.usage)) out.usage = expectedUsageFromResponses(response.usage);
      break;
    }
  }
  // The recordings' own cross-checks: the done events repeat what the deltas said.
  if (textDone !== "" && textDone !== out.text) throw new Error("output_text.done disagrees with the deltas");
  for (const call of calls.values()) {
    if (call.done !== undefined && call.done !== call.arguments) throw new Error(`function_call_arguments.done disagrees with the deltas for ${call.id}`);
  }
  out.toolCalls = [...calls.values()].map(({ id, name, arguments: args }) => ({ id, name, arguments: args }));
  out.reasoning = reasoning.join("\n\n");
  return out;
}

export interface ExpectedResponsesBody {
  id: string;
  model: string;
  /** Concatenated output_text parts of the message items; null when none. */
  text: string | null;
  reasoning: string;
  toolCalls: ExpectedToolCall[];
  finishReason: string;
  usage: ExpectedUsage | null;
}

/** What a correct parser must extract from a non-streamed Responses body, from the JSON alone. */
export function expectedFromResponsesBody(body: unknown): ExpectedResponsesBody {
  if (!isObject(body) || !Array.isArray(body.output)) throw new Error("Not a Responses body.");
  let text: string | null = null;
  const reasoning: string[] = [];
  const toolCalls: ExpectedToolCall[] = [];
  for (const item of body.output as Json[]) {
    if (item.type === "message") for (const part of item.content as Json[]) if (part.type === "output_text") text = (text ?? "") + str(part.text);
    if (item.type === "reasoning") for (const part of item.summary as Json[]) reasoning.push(str(part.text));
    if (item.type === "function_call") toolCalls.push({ id: str(item.call_id), name: str(item.name), arguments: str(item.arguments) });
  }
  return {
    id: str(body.id),
    model: str(body.model),
    text,
    reasoning: reasoning.join("\n\n"),
    toolCalls,
    finishReason: body.status === "completed" ? (toolCalls.length > 0 ? "tool_calls" : "stop") : "other",
    usage: isObject(body.usage) ? expectedUsageFromResponses(body.usage) : null,
  };
}
