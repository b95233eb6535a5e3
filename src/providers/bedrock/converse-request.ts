import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message, ToolChoice } from "../../spec/canonical-request.js";

type Json = Record<string, unknown>;
type Block = Json;
type Turn = { role: "user" | "assistant"; content: Block[] };

const DATA_URL = /^data:image\/([a-z0-9.+-]+);base64,(.*)$/is;
/** The image formats Converse takes, by MIME subtype. */
const IMAGE_FORMATS: Record<string, string> = { png: "png", jpeg: "jpeg", jpg: "jpeg", gif: "gif", webp: "webp" };

/** An image as Converse's image block: only inline data (Converse fetches no URLs). */
function imageBlock(url: string, param: string): Block {
  const m = DATA_URL.exec(url);
  if (!m) throw new InvalidRequestError("unsupported_content", `${param}: a Bedrock target takes images as base64 data URLs only (it does not fetch URLs).`, { param });
  const format = IMAGE_FORMATS[m[1]!.toLowerCase()];
  if (!format) throw new InvalidRequestError("unsupported_content", `${param}: Bedrock takes png, jpeg, gif and webp images, not image/${m[1]}.`, { param });
  return { image: { format, source: { bytes: m[2] } } };
}

function contentBlocks(content: Message["content"], param: string): Block[] {
  if (content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part: ContentPart, j): Block[] => {
    const at = `${param}[${j}]`;
    if (part.type === "text") return part.text === "" ? [] : [{ text: part.text }];
    if (part.type === "image") return [imageBlock(part.url, at)];
    const raw = (part.raw ?? {}) as { type?: unknown };
    throw new InvalidRequestError("unsupported_content", `${at}: content of type "${String(raw.type)}" cannot be sent to a Bedrock target.`, { param: at });
  });
}

function textOf(content: Message["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
}

/** A tool call's arguments as the JSON object toolUse.input must be. */
function toolInput(args: string, param: string): Json {
  if (args.trim() === "") return {};
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch {
    throw new InvalidRequestError("invalid_tool_arguments", `${param} is not valid JSON; Bedrock needs tool call arguments as a JSON object.`, { param });
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) throw new InvalidRequestError("invalid_tool_arguments", `${param} must be a JSON object for Bedrock.`, { param });
  return input as Json;
}

/** A tool result: a JSON object goes as a json block, anything else as text. */
function toolResultContent(text: string): Block[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return [{ json: parsed }];
  } catch {
    // Plain text.
  }
  return [{ text: text === "" ? " " : text }];
}

function toTurn(m: Message, i: number): Turn | null {
  const param = `messages[${i}]`;
  switch (m.role) {
    case "system":
    case "developer":
      return null;
    case "user":
      return { role: "user", content: contentBlocks(m.content, `${param}.content`) };
    case "assistant": {
      const content = contentBlocks(m.content, `${param}.content`);
      (m.toolCalls ?? []).forEach((call, j) => {
        content.push({ toolUse: { toolUseId: call.id, name: call.name, input: toolInput(call.arguments, `${param}.tool_calls[${j}].function.arguments`) } });
      });
      return { role: "assistant", content };
    }
    case "tool":
      if (!m.toolCallId) throw new InvalidRequestError("invalid_request", `${param}.tool_call_id is required for a tool result.`, { param: `${param}.tool_call_id` });
      return { role: "user", content: [{ toolResult: { toolUseId: m.toolCallId, content: toolResultContent(textOf(m.content)) } }] };
  }
}

/** Turns in order, empty ones left out, consecutive turns of one role merged (Converse wants them to alternate; tool results first). */
function turnsOf(messages: Message[]): Turn[] {
  const turns: Turn[] = [];
  messages.forEach((m, i) => {
    const turn = toTurn(m, i);
    if (!turn || turn.content.length === 0) return;
    const last = turns.at(-1);
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  });
  if (turns.length === 0) throw new InvalidRequestError("invalid_request", "A Bedrock target needs at least one user or assistant message with content.", { param: "messages" });
  return turns;
}

function toolChoiceOf(choice: Exclude<ToolChoice, "none">): Json {
  if (choice === "auto") return { auto: {} };
  if (choice === "required") return { any: {} };
  return { tool: { name: choice.name } };
}

function usesTools(turns: Turn[]): boolean {
  return turns.some((t) => t.content.some((b) => "toolUse" in b || "toolResult" in b));
}

/**
 * A Converse body from the canonical request. System and developer messages become
 * `system`; tool calls toolUse blocks, results toolResult blocks in a user turn; settings
 * go in `inferenceConfig`. Refused (400): n > 1, images by URL, content Converse has no
 * block for, and `tool_choice: none` on a conversation that already used tools (Converse
 * cannot forbid calls while declaring tools, and needs them declared to replay calls).
 */
export function toConverseBody(request: CanonicalRequest): Json {
  if (request.n !== undefined && request.n > 1) throw new InvalidRequestError("unsupported_parameter", "n > 1 is not supported by Bedrock: ask for one answer per request.", { param: "n" });
  const messages = turnsOf(request.messages);
  const body: Json = { messages };
  const system = request.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content))
    .filter((t) => t !== "")
    .map((text) => ({ text }));
  if (system.length > 0) body.system = system;

  const inference: Json = {};
  if (request.maxOutputTokens !== undefined) inference.maxTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.topP !== undefined) inference.topP = request.topP;
  if (request.stop?.length) inference.stopSequences = request.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;

  if (request.tools?.length) {
    const tools = request.tools.map((t) => ({
      toolSpec: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), inputSchema: { json: t.parameters ?? { type: "object", properties: {} } } },
    }));
    if (request.toolChoice === "none") {
      if (usesTools(messages))
        throw new InvalidRequestError("unsupported_parameter", "tool_choice none cannot be sent to a Bedrock target in a conversation that already called tools.", { param: "tool_choice" });
    } else {
      body.toolConfig = { tools, ...(request.toolChoice !== undefined ? { toolChoice: toolChoiceOf(request.toolChoice) } : {}) };
    }
  }
  return body;
}
