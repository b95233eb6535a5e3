import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message } from "../../spec/canonical-request.js";

type Block = Record<string, unknown>;
type Turn = { role: "user" | "assistant"; content: Block[] };

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/** An image part as an image block: data URLs as base64 sources, anything else as a URL source. */
function imageBlock(url: string): Block {
  const data = DATA_URL.exec(url);
  if (data) return { type: "image", source: { type: "base64", media_type: data[1], data: data[2] } };
  return { type: "image", source: { type: "url", url } };
}

/** Text and image parts as blocks; empty text is left out (the API rejects empty text blocks), other parts are dropped. */
function contentBlocks(content: Message["content"]): Block[] {
  if (content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return content.flatMap((p: ContentPart): Block[] => {
    if (p.type === "text") return p.text === "" ? [] : [{ type: "text", text: p.text }];
    if (p.type === "image") return [imageBlock(p.url)];
    return [];
  });
}

function textOf(content: Message["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
}

/** A tool call's JSON arguments as the object tool_use.input must be; anything else is the client's mistake. */
function toolInput(args: string, where: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch {
    throw new InvalidRequestError("invalid_tool_arguments", `${where} is not valid JSON; Anthropic needs tool call arguments as a JSON object.`, { param: where });
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new InvalidRequestError("invalid_tool_arguments", `${where} must be a JSON object for Anthropic, got ${Array.isArray(input) ? "an array" : input === null ? "null" : typeof input}.`, {
      param: where,
    });
  }
  return input as Record<string, unknown>;
}

/** One canonical message as a Messages turn, or null when it belongs in `system` or has nothing to say. */
function toTurn(m: Message, i: number): Turn | null {
  switch (m.role) {
    case "system":
    case "developer":
      return null;
    case "tool": {
      // A tool result goes back in a user turn: its text as a string, or blocks when it holds images.
      if (!m.toolCallId) throw new InvalidRequestError("invalid_request", `messages[${i}].tool_call_id is required for a tool result.`, { param: `messages[${i}].tool_call_id` });
      const blocks = contentBlocks(m.content);
      const block: Block = { type: "tool_result", tool_use_id: m.toolCallId };
      if (blocks.some((b) => b.type !== "text")) block.content = blocks;
      else if (blocks.length > 0) block.content = textOf(m.content);
      return { role: "user", content: [block] };
    }
    case "assistant": {
      const content = contentBlocks(m.content).filter((b) => b.type === "text");
      (m.toolCalls ?? []).forEach((call, j) => {
        content.push({ type: "tool_use", id: call.id, name: call.name, input: toolInput(call.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) });
      });
      return { role: "assistant", content };
    }
    case "user":
      return { role: "user", content: contentBlocks(m.content) };
  }
}

/** The `system` field: every system and developer message, in order, as text blocks (a plain string when there is one). */
function systemOf(messages: Message[]): string | Block[] | undefined {
  const texts = messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content))
    .filter((t) => t !== "");
  if (texts.length === 0) return undefined;
  if (texts.length === 1) return texts[0];
  return texts.map((text) => ({ type: "text", text }));
}

/**
 * Turns in the order given, empty ones left out, consecutive turns of one role merged
 * into one (the API wants user and assistant to alternate; tool results that follow
 * each other, and a user message after them, become one user turn, results first).
 */
function turnsOf(messages: Message[]): Turn[] {
  const turns: Turn[] = [];
  messages.forEach((m, i) => {
    const turn = toTurn(m, i);
    if (!turn || turn.content.length === 0) return;
    const last = turns.at(-1);
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  });
  return turns;
}

function toolChoiceOf(choice: NonNullable<CanonicalRequest["toolChoice"]>): Block {
  if (choice === "auto") return { type: "auto" };
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.name };
}

/**
 * A Messages body from the canonical request, for clients that spoke another API.
 * Not carried: n > 1 (rejected), seed, logprobs and the like, `json_object` response
 * format, tool `strict`, message `name`; temperature is capped at Anthropic's maximum of 1.
 */
export function toMessagesBody(request: CanonicalRequest, model: string, options: { defaultMaxTokens: number }): Record<string, unknown> {
  if (request.n !== undefined && request.n > 1) {
    throw new InvalidRequestError("unsupported_parameter", "n > 1 is not supported by Anthropic models: ask for one answer per request.", { param: "n" });
  }
  const body: Record<string, unknown> = { model, max_tokens: request.maxOutputTokens ?? options.defaultMaxTokens };
  const system = systemOf(request.messages);
  if (system !== undefined) body.system = system;
  body.messages = turnsOf(request.messages);
  if (request.stream) body.stream = true;
  if (request.temperature !== undefined) body.temperature = Math.min(request.temperature, 1);
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({ name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), input_schema: t.parameters ?? { type: "object", properties: {} } }));
    if (request.toolChoice !== undefined) body.tool_choice = toolChoiceOf(request.toolChoice);
  }
  const format = request.responseFormat;
  if (format?.type === "json_schema") body.output_config = { format: { type: "json_schema", schema: format.schema } };
  const user = request.endUser ?? request.inbound.body.user;
  if (typeof user === "string" && user !== "") body.metadata = { user_id: user };
  return body;
}
