import { InvalidRequestError } from "../../errors/gateway-error.js";
import { fitToolCallId } from "./tool-call-ids.js";
import type { CanonicalRequest, ContentPart, Message } from "../../spec/canonical-request.js";

type Json = Record<string, unknown>;

function textOf(content: Message["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

function hasOnlyText(content: Message["content"]): boolean {
  return content === null || typeof content === "string" || content.every((p) => p.type === "text");
}

/** User, system and developer content as Responses input parts; other parts (files, audio) are dropped. */
function inputContent(content: Message["content"]): string | Json[] {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.flatMap((p: ContentPart): Json[] => {
    if (p.type === "text") return [{ type: "input_text", text: p.text }];
    if (p.type === "image") return [{ type: "input_image", image_url: p.url, detail: p.detail ?? "auto" }];
    return [];
  });
}

/** The canonical conversation as Responses input items, and the leading system/developer text as instructions. */
function toInput(messages: readonly Message[]): { instructions?: string; input: Json[] } {
  let start = 0;
  const leading: string[] = [];
  while (start < messages.length) {
    const m = messages[start]!;
    if ((m.role !== "system" && m.role !== "developer") || !hasOnlyText(m.content)) break;
    leading.push(textOf(m.content));
    start++;
  }
  const input: Json[] = [];
  for (const m of messages.slice(start)) {
    switch (m.role) {
      case "tool":
        input.push({ type: "function_call_output", call_id: fitToolCallId(m.toolCallId ?? ""), output: textOf(m.content) });
        break;
      case "assistant": {
        const text = textOf(m.content);
        if (text !== "") input.push({ type: "message", role: "assistant", content: text });
        for (const call of m.toolCalls ?? []) input.push({ type: "function_call", call_id: fitToolCallId(call.id), name: call.name, arguments: call.arguments });
        break;
      }
      default:
        input.push({ type: "message", role: m.role, content: inputContent(m.content) });
    }
  }
  return leading.length > 0 ? { instructions: leading.join("\n\n"), input } : { input };
}

/**
 * A Responses API body from the canonical request, for clients that spoke another API.
 * Not carried (Responses has no such field): stop sequences, seed. `n` > 1 is refused.
 * Nothing is stored upstream (`store: false`): Tollgate is stateless.
 */
export function toResponsesBody(request: CanonicalRequest, model: string): Json {
  if (request.n !== undefined && request.n > 1) {
    throw new InvalidRequestError("unsupported_parameter", "n > 1 is not supported by this model's provider (OpenAI Responses API).", { param: "n" });
  }
  const { instructions, input } = toInput(request.messages);
  const body: Json = { model, input, store: false };
  if (instructions !== undefined) body.instructions = instructions;
  if (request.stream) body.stream = true;
  if (request.maxOutputTokens !== undefined) body.max_output_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({
      type: "function",
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters ?? { type: "object", properties: {} },
      // Responses makes function tools strict unless told otherwise; Chat Completions does not.
      strict: t.strict ?? false,
    }));
  }
  const choice = request.toolChoice;
  if (choice !== undefined) body.tool_choice = typeof choice === "string" ? choice : { type: "function", name: choice.name };
  const format = request.responseFormat;
  if (format) {
    body.text = {
      format:
        format.type === "json_schema" ? { type: "json_schema", name: format.name, schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}) } : { type: format.type },
    };
  }
  return body;
}
