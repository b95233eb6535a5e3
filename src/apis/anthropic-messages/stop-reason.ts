import type { FinishReason } from "../../spec/stream-events.js";

export type AnthropicStopReason = "end_turn" | "max_tokens" | "tool_use" | "refusal";

/** A canonical finish reason as Anthropic's stop_reason; Messages has no "error"/"other": such an answer simply ended. */
export function toAnthropicStopReason(reason: FinishReason | undefined): AnthropicStopReason {
  switch (reason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}
