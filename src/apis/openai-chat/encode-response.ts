import { apiId } from "../api-id.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { toChatFinishReason } from "./finish-reason.js";
import { toChatUsage } from "./wire-usage.js";

/** A canonical answer as a Chat Completions body. */
export function toChatCompletion(response: CanonicalResponse, fallbackModel: string): string {
  return JSON.stringify({
    id: apiId("chatcmpl-", response.id),
    object: "chat.completion",
    created: response.created || Math.floor(Date.now() / 1000),
    model: response.model || fallbackModel,
    choices: response.choices.map((c) => ({
      index: c.index,
      message: {
        role: "assistant",
        content: c.text,
        refusal: null,
        ...(c.reasoning ? { reasoning_content: c.reasoning } : {}),
        ...(c.toolCalls?.length ? { tool_calls: c.toolCalls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } })) } : {}),
      },
      logprobs: null,
      finish_reason: toChatFinishReason(c.finishReason),
    })),
    ...(response.usage ? { usage: toChatUsage(response.usage) } : {}),
  });
}
