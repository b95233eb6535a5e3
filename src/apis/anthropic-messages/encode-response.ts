import { apiId } from "../api-id.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { toAnthropicStopReason } from "./stop-reason.js";
import { toAnthropicUsage } from "./wire-usage.js";

/** Arguments as tool_use.input needs them: an object (text that is not one is kept under `_raw`, never lost). */
export function toolInputOf(args: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  try {
    const input = JSON.parse(args) as unknown;
    if (input !== null && typeof input === "object" && !Array.isArray(input)) return input as Record<string, unknown>;
  } catch {
    // Fall through.
  }
  return { _raw: args };
}

/** A canonical answer as a Messages body (the first choice: Messages has one answer per request). */
export function toMessagesResponse(response: CanonicalResponse, fallbackModel: string): string {
  const choice = response.choices[0];
  const content: Record<string, unknown>[] = [];
  if (choice?.reasoning) content.push({ type: "thinking", thinking: choice.reasoning, signature: "" });
  if (choice?.text) content.push({ type: "text", text: choice.text });
  for (const call of choice?.toolCalls ?? [])
    content.push({ type: "tool_use", id: call.id || `toolu_${Math.random().toString(36).slice(2, 14)}`, name: call.name, input: toolInputOf(call.arguments) });
  const usage = response.usage ? toAnthropicUsage(response.usage) : { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
  return JSON.stringify({
    id: apiId("msg_", response.id),
    type: "message",
    role: "assistant",
    model: response.model || fallbackModel,
    content,
    stop_reason: toAnthropicStopReason(choice?.finishReason),
    stop_sequence: null,
    usage,
  });
}
