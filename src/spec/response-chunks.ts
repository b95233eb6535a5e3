import type { CanonicalResponse } from "./canonical-response.js";
import type { StreamEvent, UpstreamChunk } from "./stream-events.js";

const chunk = (...events: StreamEvent[]): UpstreamChunk => ({ raw: "", events });

/**
 * A complete answer as the canonical stream events that would have produced it, one
 * chunk per event, so any client format can be written from an answer the gateway built.
 */
export function chunksOfResponse(response: CanonicalResponse): UpstreamChunk[] {
  const chunks = [chunk({ type: "response-start", id: response.id, model: response.model, created: response.created })];
  for (const c of response.choices) {
    if (c.reasoning) chunks.push(chunk({ type: "reasoning-delta", choice: c.index, text: c.reasoning }));
    if (c.text) chunks.push(chunk({ type: "text-delta", choice: c.index, text: c.text }));
    for (const [index, call] of (c.toolCalls ?? []).entries()) chunks.push(chunk({ type: "tool-call-delta", choice: c.index, index, id: call.id, name: call.name, argumentsDelta: call.arguments }));
    chunks.push(chunk({ type: "finish", choice: c.index, reason: c.finishReason }));
  }
  if (response.usage) chunks.push({ ...chunk({ type: "usage", usage: response.usage }), usageOnly: true });
  return chunks;
}
