import type { CanonicalRequest, ContentPart, Message } from "../../spec/canonical-request.js";
import { fitToolCallId } from "./tool-call-ids.js";

function content(parts: Message["content"]): unknown {
  if (parts === null || typeof parts === "string") return parts;
  return parts.flatMap((p: ContentPart): unknown[] => {
    if (p.type === "text") return [{ type: "text", text: p.text }];
    if (p.type === "image") return [{ type: "image_url", image_url: { url: p.url, ...(p.detail ? { detail: p.detail } : {}) } }];
    return [];
  });
}

function message(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: content(m.content) };
  if (m.name) out.name = m.name;
  if (m.toolCalls?.length) out.tool_calls = m.toolCalls.map((t) => ({ id: fitToolCallId(t.id), type: "function", function: { name: t.name, arguments: t.arguments } }));
  if (m.toolCallId) out.tool_call_id = fitToolCallId(m.toolCallId);
  return out;
}

/**
 * A Chat Completions body from the canonical request, for clients that spoke another API.
 * `maxTokensField`: OpenAI's current name, or the older one compatible servers accept.
 */
export function toChatBody(request: CanonicalRequest, model: string, options: { streamUsageOption: boolean; maxTokensField: "max_tokens" | "max_completion_tokens" }): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: request.messages.map(message) };
  if (request.stream) {
    body.stream = true;
    if (options.streamUsageOption) body.stream_options = { include_usage: true };
  }
  if (request.maxOutputTokens !== undefined) body[options.maxTokensField] = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.n !== undefined) body.n = request.n;
  if (request.stop?.length) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters ?? { type: "object", properties: {} },
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
  }
  const choice = request.toolChoice;
  if (choice !== undefined) body.tool_choice = typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
  const format = request.responseFormat;
  if (format) {
    body.response_format =
      format.type === "json_schema"
        ? { type: "json_schema", json_schema: { name: format.name, schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}) } }
        : { type: format.type };
  }
  return body;
}
