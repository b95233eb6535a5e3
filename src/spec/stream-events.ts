import type { Usage } from "./usage.js";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error" | "other";

/**
 * The one event union every provider adapter emits while parsing a stream.
 * `choice` is the index of the candidate (`n` > 1 yields several).
 */
export type StreamEvent =
  | { type: "response-start"; id: string; model: string; created: number }
  | { type: "text-delta"; choice: number; text: string }
  | { type: "reasoning-delta"; choice: number; text: string }
  | { type: "tool-call-delta"; choice: number; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: "finish"; choice: number; reason: FinishReason; raw?: string }
  | { type: "usage"; usage: Usage }
  /** Something the gateway reports beside the answer (a tool loop's step): written as a Tollgate extension event in each API (docs/tools.md). */
  | { type: "extension"; name: string; data: Record<string, unknown> };

/**
 * One upstream frame: its payload exactly as received (so a same-format relay can
 * forward it without re-serialising) and the canonical events it carries.
 */
export interface UpstreamChunk {
  /** The SSE `data` payload as the provider sent it. */
  raw: string;
  /** The SSE `event` name, when the provider names its events. */
  event?: string;
  events: StreamEvent[];
  /** True when the frame carries only usage (no choice data), e.g. OpenAI's include_usage chunk. */
  usageOnly?: boolean;
  /** True when this frame is also the stream's end marker (OpenAI Responses' response.completed): nothing after it is read. */
  final?: boolean;
}

/**
 * How each frame goes out on the byte relay when a same-format client's frames must change (a
 * Chat client that did not ask for usage). `frame`: one whole SSE frame, blank line included, as
 * latin1 text (a character per byte: a UTF-8 character stays its bytes, wherever reads cut it);
 * `chunk`: what it parsed into, when it was parsed (none for a frame passed over unparsed, or one
 * without a message). Returns what goes out instead, latin1 too; "" for nothing. It may throw:
 * the frame then fails the stream, as one that does not parse does.
 */
export type FrameRewrite = (frame: string, chunk: UpstreamChunk | undefined) => string;
