import { sseFrame } from "../../sse/encode.js";
import type { WireFinishReason } from "./token-pieces.js";

/** Marks the simulator's answers as such, where OpenAI puts its backend fingerprint. */
const SYSTEM_FINGERPRINT = "fp_tollgate_simulator";

/** What every chunk of one response repeats. */
export interface WireContext {
  id: string;
  created: number;
  model: string;
  /** OpenAI sends `"usage": null` on every chunk when the client asked for usage. */
  includeUsage: boolean;
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: { reasoning_tokens: number; audio_tokens: number; accepted_prediction_tokens: number; rejected_prediction_tokens: number };
}

export function wireUsage(promptTokens: number, completionTokens: number): WireUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export interface WireToolCallStart {
  id: string;
  name: string;
}

function chunkFrame(ctx: WireContext, choices: unknown[], usage?: WireUsage): string {
  const chunk: Record<string, unknown> = { id: ctx.id, object: "chat.completion.chunk", created: ctx.created, model: ctx.model, system_fingerprint: SYSTEM_FINGERPRINT, choices };
  if (ctx.includeUsage) chunk.usage = usage ?? null;
  return sseFrame(JSON.stringify(chunk));
}

function deltaFrame(ctx: WireContext, index: number, delta: Record<string, unknown>, finishReason: WireFinishReason | null = null): string {
  return chunkFrame(ctx, [{ index, delta, logprobs: null, finish_reason: finishReason }]);
}

/** The first chunk of a choice: the role, and for a tool call its id and name. */
export function roleFrame(ctx: WireContext, index: number, toolCall?: WireToolCallStart): string {
  if (!toolCall) return deltaFrame(ctx, index, { role: "assistant", content: "", refusal: null });
  return deltaFrame(ctx, index, {
    role: "assistant",
    content: null,
    tool_calls: [{ index: 0, id: toolCall.id, type: "function", function: { name: toolCall.name, arguments: "" } }],
    refusal: null,
  });
}

export function contentFrame(ctx: WireContext, index: number, text: string): string {
  return deltaFrame(ctx, index, { content: text });
}

export function argumentsFrame(ctx: WireContext, index: number, text: string): string {
  return deltaFrame(ctx, index, { tool_calls: [{ index: 0, function: { arguments: text } }] });
}

export function finishFrame(ctx: WireContext, index: number, reason: WireFinishReason): string {
  return deltaFrame(ctx, index, {}, reason);
}

/** The include_usage chunk: no choices, only usage. */
export function usageFrame(ctx: WireContext, usage: WireUsage): string {
  return chunkFrame({ ...ctx, includeUsage: true }, [], usage);
}

export const DONE_FRAME = sseFrame("[DONE]");

/** The frame of the `malformed` fault: a data line that is not JSON. */
export const MALFORMED_FRAME = "data: {not json\n\n";

export interface WireChoiceResult {
  index: number;
  text: string | null;
  toolCall?: WireToolCallStart & { arguments: string };
  finishReason: WireFinishReason;
}

/** A non-streamed `chat.completion` body. */
export function completionBody(ctx: WireContext, choices: WireChoiceResult[], usage: WireUsage): string {
  return JSON.stringify({
    id: ctx.id,
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: choices.map((c) => ({
      index: c.index,
      message: {
        role: "assistant",
        content: c.text,
        refusal: null,
        ...(c.toolCall ? { tool_calls: [{ id: c.toolCall.id, type: "function", function: { name: c.toolCall.name, arguments: c.toolCall.arguments } }] } : {}),
      },
      logprobs: null,
      finish_reason: c.finishReason,
    })),
    usage,
  });
}
