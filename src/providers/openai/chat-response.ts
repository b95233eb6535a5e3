import type { TopLevelMembers } from "../../json/top-level-members.js";
import type { Usage } from "../../spec/usage.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import type { CanonicalResponse, ResponseChoice } from "../../spec/canonical-response.js";
import { mapOpenAIFinishReason } from "./finish-reason.js";
import { normalizeOpenAIUsage } from "./usage.js";

interface WireToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface WireChoice {
  index?: number;
  message?: { content?: string | null; reasoning_content?: string | null; tool_calls?: WireToolCall[] | null };
  finish_reason?: string | null;
}

interface WireCompletion {
  id?: string;
  model?: string;
  created?: number;
  choices?: WireChoice[];
  usage?: unknown;
}

/** Parses a non-streamed Chat Completions body. */
export function parseChatResponse(body: unknown): CanonicalResponse {
  if (body === null || typeof body !== "object" || !Array.isArray((body as WireCompletion).choices)) {
    throw new UpstreamProtocolError("Upstream returned a completion without a choices array.");
  }
  const wire = body as WireCompletion;
  const choices: ResponseChoice[] = wire.choices!.map((c, i) => {
    const choice: ResponseChoice = { index: c.index ?? i, text: c.message?.content ?? null, finishReason: mapOpenAIFinishReason(c.finish_reason ?? "stop") };
    if (c.message?.reasoning_content) choice.reasoning = c.message.reasoning_content;
    const calls = c.message?.tool_calls;
    if (calls && calls.length > 0) {
      choice.toolCalls = calls.map((t): ToolCall => ({ id: t.id ?? "", name: t.function?.name ?? "", arguments: t.function?.arguments ?? "" }));
    }
    return choice;
  });
  const response: CanonicalResponse = { id: wire.id ?? "", model: wire.model ?? "", created: wire.created ?? 0, choices };
  const usage = normalizeOpenAIUsage(wire.usage);
  if (usage) response.usage = usage;
  return response;
}

/** A large Chat Completions body's usage from its top-level members (see ProviderAdapter.largeAnswerUsage). */
export function chatAnswerUsage(members: TopLevelMembers): { usage: Usage | undefined } | undefined {
  return members.opens("choices") === "[" ? { usage: normalizeOpenAIUsage(members.value("usage")) } : undefined;
}
