import type { ContentPart, Message, Role, ToolCall } from "../../spec/canonical-request.js";
import type { SimTool } from "./tool-match.js";

type SimToolChoice = "none" | "auto" | "required" | { name: string };

/** The parts of a Chat Completions request body the simulator acts on. */
export interface SimRequest {
  model: string;
  messages: Message[];
  stream: boolean;
  includeUsage: boolean;
  /** max_completion_tokens ?? max_tokens, when the request sets one. */
  maxTokens?: number;
  n: number;
  tools: SimTool[];
  toolChoice: SimToolChoice;
  /** Up to four stop sequences: the text ends before the first one generated. */
  stop: string[];
  /** `response_format`: a JSON Schema the answer must follow, or JSON of any shape. */
  json?: { schema: Record<string, unknown> } | "object";
}

/** A request the simulator answers with 400, as OpenAI would. */
export class SimRequestError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "SimRequestError";
  }
}

/** Generous but finite: a larger limit is rejected rather than generated. */
const MAX_COMPLETION_TOKENS = 1_000_000;
const MAX_CHOICES = 128;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const ROLES: ReadonlySet<string> = new Set<Role>(["system", "developer", "user", "assistant", "tool"]);

function parseContent(content: unknown, path: string): Message["content"] {
  if (content === undefined || content === null) return null;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw new SimRequestError(`Invalid type for '${path}': expected a string or an array of content parts.`, path);
  return content.map((part): ContentPart => {
    if (isObject(part) && part.type === "text" && typeof part.text === "string") return { type: "text", text: part.text };
    if (isObject(part) && part.type === "image_url") {
      const image = part.image_url;
      const url = typeof image === "string" ? image : isObject(image) && typeof image.url === "string" ? image.url : "";
      return { type: "image", url };
    }
    return { type: "other", raw: part };
  });
}

function parseToolCalls(calls: unknown): ToolCall[] | undefined {
  if (!Array.isArray(calls)) return undefined;
  return calls.filter(isObject).map((call) => {
    const fn = isObject(call.function) ? call.function : {};
    const args = fn.arguments;
    return {
      id: typeof call.id === "string" ? call.id : "",
      name: typeof fn.name === "string" ? fn.name : "",
      arguments: typeof args === "string" ? args : args === undefined ? "" : JSON.stringify(args),
    };
  });
}

function parseMessage(raw: unknown, i: number): Message {
  const path = `messages[${i}]`;
  if (!isObject(raw)) throw new SimRequestError(`Invalid type for '${path}': expected an object.`, path);
  // "function" is the deprecated name of the tool role.
  const role = raw.role === "function" ? "tool" : raw.role;
  if (typeof role !== "string" || !ROLES.has(role)) throw new SimRequestError(`Invalid value for '${path}.role': ${JSON.stringify(raw.role ?? null)}.`, `${path}.role`);
  const message: Message = { role: role as Role, content: parseContent(raw.content, `${path}.content`) };
  if (typeof raw.name === "string") message.name = raw.name;
  const toolCalls = parseToolCalls(raw.tool_calls);
  if (toolCalls && toolCalls.length > 0) message.toolCalls = toolCalls;
  if (typeof raw.tool_call_id === "string") message.toolCallId = raw.tool_call_id;
  return message;
}

function parseTools(raw: unknown): SimTool[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new SimRequestError("Invalid type for 'tools': expected an array.", "tools");
  const tools: SimTool[] = [];
  raw.forEach((tool, i) => {
    if (!isObject(tool) || tool.type !== "function") return; // other tool kinds: nothing to call
    const fn = tool.function;
    if (!isObject(fn) || typeof fn.name !== "string" || fn.name.length === 0) {
      throw new SimRequestError(`Missing required parameter: 'tools[${i}].function.name'.`, `tools[${i}].function.name`);
    }
    tools.push({
      name: fn.name,
      ...(typeof fn.description === "string" ? { description: fn.description } : {}),
      ...(isObject(fn.parameters) ? { parameters: fn.parameters } : {}),
    });
  });
  return tools;
}

function parseToolChoice(raw: unknown): SimToolChoice {
  if (raw === undefined || raw === null) return "auto";
  if (raw === "none" || raw === "auto" || raw === "required") return raw;
  if (isObject(raw)) {
    const fn = raw.function;
    if (isObject(fn) && typeof fn.name === "string") return { name: fn.name };
    return "auto";
  }
  throw new SimRequestError(`Invalid value for 'tool_choice': ${JSON.stringify(raw)}.`, "tool_choice");
}

function parseResponseFormat(raw: unknown): SimRequest["json"] {
  if (!isObject(raw)) return undefined;
  if (raw.type === "json_object") return "object";
  const format = raw.json_schema;
  if (raw.type === "json_schema" && isObject(format) && isObject(format.schema)) return { schema: format.schema };
  return undefined;
}

function parseStop(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const stops = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(stops) || stops.length > 4 || !stops.every((s) => typeof s === "string")) {
    throw new SimRequestError("Invalid value for 'stop': expected a string or an array of up to 4 strings.", "stop");
  }
  return stops;
}

function parseCount(raw: unknown, param: string, max: number): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1) throw new SimRequestError(`Invalid value for '${param}': expected an integer of at least 1.`, param);
  if (raw > max) throw new SimRequestError(`Invalid value for '${param}': ${raw} is larger than the simulator's limit of ${max}.`, param);
  return raw;
}

/** Parses a request body; throws SimRequestError for anything OpenAI would reject with 400. */
export function parseSimRequest(body: string): SimRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new SimRequestError("We could not parse the JSON body of your request. (The simulator expects a Chat Completions JSON body.)");
  }
  if (!isObject(json)) throw new SimRequestError("The request body must be a JSON object.");
  if (!Array.isArray(json.messages) || json.messages.length === 0) {
    throw new SimRequestError("Invalid value for 'messages': expected a non-empty array.", "messages");
  }
  const messages = json.messages.map(parseMessage);
  const maxTokens = parseCount(json.max_completion_tokens, "max_completion_tokens", MAX_COMPLETION_TOKENS) ?? parseCount(json.max_tokens, "max_tokens", MAX_COMPLETION_TOKENS);
  const streamOptions = json.stream_options;
  const request: SimRequest = {
    model: typeof json.model === "string" ? json.model : "",
    messages,
    stream: json.stream === true,
    includeUsage: json.stream === true && isObject(streamOptions) && streamOptions.include_usage === true,
    n: parseCount(json.n, "n", MAX_CHOICES) ?? 1,
    tools: parseTools(json.tools),
    toolChoice: parseToolChoice(json.tool_choice),
    stop: parseStop(json.stop),
  };
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const format = parseResponseFormat(json.response_format);
  if (format) request.json = format;
  return request;
}

/** The text of a message's content, parts joined. */
export function messageText(message: Message): string {
  if (typeof message.content === "string") return message.content;
  if (!message.content) return "";
  return message.content
    .filter((p): p is ContentPart & { type: "text" } => p.type === "text")
    .map((p) => p.text)
    .join("\n");
}
