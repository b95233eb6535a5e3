import { z } from "zod";
import type { CodeWithStatus } from "../../errors/codes.js";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message, ResponseFormat, ToolCall, ToolChoice } from "../../spec/canonical-request.js";
import { fieldPath } from "../../errors/field-path.js";
import { callName, CUSTOM_INPUT, readResponsesTools } from "./tools.js";

const textPart = z.looseObject({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const refusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });
const imagePart = z.looseObject({ type: z.literal("input_image"), image_url: z.string().nullish(), file_id: z.string().nullish(), detail: z.string().nullish() });
const otherPart = z.looseObject({ type: z.string() });
const parts = z.array(z.union([textPart, refusalPart, imagePart, otherPart]));
const content = z.union([z.string(), parts]);

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content,
});
const functionCallItem = z.looseObject({ type: z.literal("function_call"), call_id: z.string().min(1), name: z.string().min(1), arguments: z.string(), namespace: z.string().nullish() });
const functionCallOutputItem = z.looseObject({ type: z.enum(["function_call_output", "custom_tool_call_output"]), call_id: z.string().min(1), output: content });
const additionalToolsItem = z.looseObject({ type: z.literal("additional_tools"), tools: z.array(z.looseObject({ type: z.string() })) });
const customToolCallItem = z.looseObject({ type: z.literal("custom_tool_call"), call_id: z.string().min(1), name: z.string().min(1), input: z.string(), namespace: z.string().nullish() });

const positiveInt = z.number().int().positive();

/** The Responses fields Tollgate reads; the rest stay in the body for a Responses upstream. */
const responsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown()).min(1)]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z.union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.string(), name: z.string().optional(), namespace: z.string().optional() })]).nullish(),
  text: z
    .looseObject({
      format: z
        .union([
          z.looseObject({ type: z.literal("text") }),
          z.looseObject({ type: z.literal("json_object") }),
          z.looseObject({ type: z.literal("json_schema"), name: z.string().min(1), schema: z.record(z.string(), z.unknown()), strict: z.boolean().nullish() }),
        ])
        .nullish(),
    })
    .nullish(),
  previous_response_id: z.string().nullish(),
  store: z.boolean().nullish(),
});

/** Body fields the canonical request carries (or that are checked and need nothing more). */
const READ_FIELDS = new Set(["model", "input", "instructions", "stream", "max_output_tokens", "temperature", "top_p", "tools", "tool_choice", "text", "previous_response_id", "store", "user"]);

/** Fields that only make sense with state kept between requests, which Tollgate does not keep. */
const STATEFUL = "not supported: Tollgate is stateless; send the whole conversation in `input` on every request";

function invalid(param: string, message: string, code: CodeWithStatus<400> = "invalid_request"): InvalidRequestError {
  return new InvalidRequestError(code, message, { param });
}

/** Parses `value` with `schema`, or throws a 400 naming the field under `base`. */
function check<T extends z.ZodType>(schema: T, value: unknown, base: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const rest = fieldPath(issue.path);
  const param = base && rest ? `${base}${rest.startsWith("[") ? "" : "."}${rest}` : base || rest;
  throw invalid(param || "body", `Invalid value for ${param || "body"}: ${issue.message}`);
}

function toContent(value: z.infer<typeof content>): Message["content"] {
  if (typeof value === "string") return value;
  return value.map((part): ContentPart => {
    if (part.type === "input_text" || part.type === "output_text") return { type: "text", text: (part as { text: string }).text };
    if (part.type === "refusal") return { type: "text", text: (part as { refusal: string }).refusal };
    if (part.type === "input_image") {
      const image = part as { image_url?: string | null; detail?: string | null };
      // An image by file_id only lives at OpenAI: it can reach a Responses upstream as sent, not be translated.
      if (typeof image.image_url !== "string") return { type: "other", raw: part };
      return image.detail ? { type: "image", url: image.image_url, detail: image.detail } : { type: "image", url: image.image_url };
    }
    return { type: "other", raw: part };
  });
}

/**
 * The input items as canonical messages: function and custom tool calls join the assistant
 * message before them. Items of built-in tools (web_search_call, shell_call, ...) and
 * reasoning reach a Responses upstream as sent; no other format has a place for them.
 */
function toMessages(input: string | unknown[], dropped: Set<string>, moreTools: { type: string }[]): Message[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const messages: Message[] = [];
  const pushCall = (call: ToolCall) => {
    const last = messages.at(-1);
    if (last?.role === "assistant") (last.toolCalls ??= []).push(call);
    else messages.push({ role: "assistant", content: null, toolCalls: [call] });
  };
  input.forEach((raw, i) => {
    const at = `input[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw invalid(at, `Invalid value for ${at}: expected an input item object.`);
    const type = (raw as { type?: unknown }).type;
    if (type === undefined || type === "message") {
      const item = check(messageItem, raw, at);
      messages.push({ role: item.role, content: toContent(item.content) });
    } else if (type === "function_call") {
      const item = check(functionCallItem, raw, at);
      pushCall({ id: item.call_id, name: callName(item.name, item.namespace), arguments: item.arguments });
    } else if (type === "custom_tool_call") {
      const item = check(customToolCallItem, raw, at);
      pushCall({ id: item.call_id, name: callName(item.name, item.namespace), arguments: JSON.stringify({ [CUSTOM_INPUT]: item.input }) });
    } else if (type === "function_call_output" || type === "custom_tool_call_output") {
      const item = check(functionCallOutputItem, raw, at);
      messages.push({ role: "tool", content: toContent(item.output), toolCallId: item.call_id });
    } else if (type === "additional_tools") {
      // Codex offers its tools in the input (namespaces of functions and custom tools): read like `tools`.
      moreTools.push(...check(additionalToolsItem, raw, at).tools);
    } else if (type === "item_reference") {
      throw invalid(at, `${at}: item_reference is ${STATEFUL}.`, "unsupported_parameter");
    } else if (type !== "reasoning") {
      dropped.add(`${String(type)} items`);
    }
  });
  return messages;
}

function toToolChoice(choice: "auto" | "none" | "required" | { type: string; name?: string | undefined; namespace?: unknown }, builtIn: readonly string[]): ToolChoice | undefined {
  if (typeof choice === "string") return choice;
  if ((choice.type === "function" || choice.type === "custom") && choice.name) return { name: callName(choice.name, choice.namespace) };
  // A built-in tool the request offers: its choice goes with it.
  if (builtIn.includes(choice.type)) return undefined;
  throw invalid("tool_choice", `tool_choice of type "${choice.type}" is not supported; use "auto", "none", "required" or {"type": "function", "name": ...}.`, "unsupported_parameter");
}

/** Validates a Responses API body and reads it into the canonical request; throws a 400 naming the bad field. */
export function parseResponsesRequest(body: unknown): CanonicalRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  }
  const w = check(responsesRequest, body, "");
  const raw = body as Record<string, unknown>;
  if (w.previous_response_id != null) throw invalid("previous_response_id", `previous_response_id is ${STATEFUL}.`, "unsupported_parameter");
  if (w.store === true) throw invalid("store", `store: true is ${STATEFUL}; omit it or send store: false.`, "unsupported_parameter");
  for (const field of ["conversation", "prompt"] as const) {
    if (raw[field] != null) throw invalid(field, `${field} is ${STATEFUL}.`, "unsupported_parameter");
  }
  if (raw.background === true) throw invalid("background", `background is ${STATEFUL}.`, "unsupported_parameter");

  const dropped = new Set<string>();
  const inputTools: { type: string }[] = [];
  const messages = toMessages(w.input, dropped, inputTools);
  if (w.instructions) messages.unshift({ role: "system", content: w.instructions });
  const request: CanonicalRequest = {
    model: w.model,
    messages,
    stream: w.stream === true,
    // Responses streams always end with the usage in response.completed.
    includeUsage: true,
    inbound: { api: "openai-responses", body: raw },
  };
  if (w.max_output_tokens != null) request.maxOutputTokens = w.max_output_tokens;
  if (w.temperature != null) request.temperature = w.temperature;
  if (w.top_p != null) request.topP = w.top_p;
  const tools = readResponsesTools([...(w.tools ?? []), ...inputTools]);
  if (tools.tools.length > 0) request.tools = tools.tools;
  if (Object.keys(tools.origins).length > 0) request.toolOrigins = tools.origins;
  if (tools.builtIn.length > 0) request.providerOnly = tools.builtIn;
  const choice = w.tool_choice == null ? undefined : toToolChoice(w.tool_choice, tools.builtIn);
  if (choice !== undefined) request.toolChoice = choice;
  const format = w.text?.format;
  if (format != null) {
    request.responseFormat =
      format.type === "json_schema"
        ? ({ type: "json_schema", name: format.name, schema: format.schema, ...(format.strict != null ? { strict: format.strict } : {}) } satisfies ResponseFormat)
        : { type: format.type };
  }
  for (const k of Object.keys(raw)) if (!READ_FIELDS.has(k) && raw[k] != null) dropped.add(k);
  if (dropped.size > 0) request.dropped = [...dropped];
  return request;
}
