import type { TopLevelMembers } from "../../json/top-level-members.js";
import type { Usage } from "../../spec/usage.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import type { CanonicalResponse, ResponseChoice } from "../../spec/canonical-response.js";
import { mapAnthropicStopReason } from "./stop-reason.js";
import { normalizeAnthropicUsage } from "./usage.js";

interface WireBlock {
  type?: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

interface WireMessage {
  id?: string;
  model?: string;
  content?: WireBlock[];
  stop_reason?: string | null;
  usage?: unknown;
}

/**
 * Parses a non-streamed Messages body: text blocks joined into the text (null when there
 * is none), thinking blocks into the reasoning, client tool_use blocks into tool calls.
 * Server tool blocks, redacted thinking and citations have no canonical form.
 */
export function parseMessagesResponse(body: unknown): CanonicalResponse {
  if (body === null || typeof body !== "object" || Array.isArray(body) || !Array.isArray((body as WireMessage).content)) {
    throw new UpstreamProtocolError("Upstream returned a message without a content array.");
  }
  const wire = body as WireMessage;
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of wire.content!) {
    if (block === null || typeof block !== "object") continue;
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else if (block.type === "thinking" && typeof block.thinking === "string") reasoning.push(block.thinking);
    else if (block.type === "tool_use") toolCalls.push({ id: block.id ?? "", name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) });
  }
  const choice: ResponseChoice = { index: 0, text: texts.length > 0 ? texts.join("") : null, finishReason: mapAnthropicStopReason(wire.stop_reason ?? "end_turn") };
  if (reasoning.join("") !== "") choice.reasoning = reasoning.join("");
  if (toolCalls.length > 0) choice.toolCalls = toolCalls;
  const response: CanonicalResponse = { id: wire.id ?? "", model: wire.model ?? "", created: 0, choices: [choice] };
  const usage = normalizeAnthropicUsage(wire.usage);
  if (usage) response.usage = usage;
  return response;
}

/** A large Messages body's usage from its top-level members (see ProviderAdapter.largeAnswerUsage). */
export function messagesAnswerUsage(members: TopLevelMembers): { usage: Usage | undefined } | undefined {
  return members.opens("content") === "[" ? { usage: normalizeAnthropicUsage(members.value("usage")) } : undefined;
}
