import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import type { CanonicalResponse, ResponseChoice } from "../../spec/canonical-response.js";
import { mapConverseStopReason } from "./stop-reason.js";
import { normalizeConverseUsage } from "./usage.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A Converse body: text blocks joined into the text (null when there is none), reasoning
 * text into the reasoning (signatures and redacted reasoning have no canonical form),
 * toolUse blocks into tool calls. Converse has no response id: it is left empty.
 */
export function parseConverseResponse(body: unknown): CanonicalResponse {
  const output = isObject(body) && isObject(body.output) ? body.output : undefined;
  const message = output && isObject(output.message) ? output.message : undefined;
  if (!isObject(body) || !message || !Array.isArray(message.content)) throw new UpstreamProtocolError("Upstream returned a Converse answer without output.message.content.");
  const texts: string[] = [];
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  for (const block of message.content as unknown[]) {
    if (!isObject(block)) continue;
    if (typeof block.text === "string") texts.push(block.text);
    else if (isObject(block.toolUse)) {
      const use = block.toolUse;
      toolCalls.push({ id: typeof use.toolUseId === "string" ? use.toolUseId : "", name: typeof use.name === "string" ? use.name : "", arguments: JSON.stringify(use.input ?? {}) });
    } else if (isObject(block.reasoningContent) && isObject(block.reasoningContent.reasoningText)) {
      const text = block.reasoningContent.reasoningText.text;
      if (typeof text === "string") reasoning += text;
    }
  }
  const stopReason = typeof body.stopReason === "string" ? body.stopReason : "end_turn";
  const choice: ResponseChoice = { index: 0, text: texts.length > 0 ? texts.join("") : null, finishReason: mapConverseStopReason(stopReason) };
  if (reasoning !== "") choice.reasoning = reasoning;
  if (toolCalls.length > 0) choice.toolCalls = toolCalls;
  const response: CanonicalResponse = { id: "", model: "", created: 0, choices: [choice] };
  const usage = normalizeConverseUsage(body.usage);
  if (usage) response.usage = usage;
  return response;
}
