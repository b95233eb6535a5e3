import type { FinishReason } from "../../spec/stream-events.js";

/** Anthropic's stop_reason in canonical form. */
export function mapAnthropicStopReason(reason: string): FinishReason {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      // pause_turn (a server tool loop paused) and anything newer.
      return "other";
  }
}
