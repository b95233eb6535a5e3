import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import { mapOpenAIFinishReason } from "./finish-reason.js";
import { normalizeOpenAIUsage } from "./usage.js";

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface ChunkChoice {
  index?: number;
  delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: ChunkToolCall[] | null };
  finish_reason?: string | null;
}

interface ChatChunk {
  id?: string;
  model?: string;
  created?: number;
  choices?: ChunkChoice[];
  usage?: unknown;
  error?: { message?: string };
}

/** Marks the end of an OpenAI chat stream. */
export const DONE = "[DONE]";

/**
 * Parses one `data:` payload of a Chat Completions stream into canonical events.
 * Pure: it keeps no state, so the relay can forward `raw` untouched.
 */
export function parseChatChunk(raw: string, first: boolean): UpstreamChunk {
  let chunk: ChatChunk;
  try {
    chunk = JSON.parse(raw) as ChatChunk;
  } catch {
    throw new UpstreamProtocolError(`Upstream sent a stream chunk that is not JSON: ${raw.slice(0, 120)}`);
  }
  if (chunk === null || typeof chunk !== "object" || Array.isArray(chunk)) throw new UpstreamProtocolError("Upstream sent a stream chunk that is not an object.");
  if (chunk.error) throw new UpstreamProtocolError(`Upstream reported an error mid-stream: ${chunk.error.message ?? "unknown"}`);
  const events: StreamEvent[] = [];
  if (first) events.push({ type: "response-start", id: chunk.id ?? "", model: chunk.model ?? "", created: chunk.created ?? 0 });
  const choices = chunk.choices ?? [];
  for (let c = 0; c < choices.length; c++) {
    const choice = choices[c]!;
    const index = choice.index ?? c;
    const delta = choice.delta;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) events.push({ type: "reasoning-delta", choice: index, text: reasoning });
      if (delta.content) events.push({ type: "text-delta", choice: index, text: delta.content });
      const calls = delta.tool_calls ?? [];
      for (let t = 0; t < calls.length; t++) {
        const call = calls[t]!;
        const event: StreamEvent & { type: "tool-call-delta" } = { type: "tool-call-delta", choice: index, index: call.index ?? t, argumentsDelta: call.function?.arguments ?? "" };
        if (call.id) event.id = call.id;
        if (call.function?.name) event.name = call.function.name;
        events.push(event);
      }
    }
    if (choice.finish_reason) events.push({ type: "finish", choice: index, reason: mapOpenAIFinishReason(choice.finish_reason), raw: choice.finish_reason });
  }
  const usage = normalizeOpenAIUsage(chunk.usage);
  if (usage) events.push({ type: "usage", usage });
  return { raw, events, usageOnly: usage !== undefined && choices.length === 0 };
}
