import type { FinishReason } from "../../spec/stream-events.js";

/** Chat Completions has no "error"/"other": an answer that ended for another reason simply stopped. */
export function toChatFinishReason(reason: FinishReason): "stop" | "length" | "tool_calls" | "content_filter" {
  return reason === "error" || reason === "other" ? "stop" : reason;
}
