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
