import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message, ResponseFormat, ToolChoice, ToolDefinition } from "../../spec/canonical-request.js";
import { fieldPath } from "../../errors/field-path.js";

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
const functionCallItem = z.looseObject({ type: z.literal("function_call"), call_id: z.string().min(1), name: z.string().min(1), arguments: z.string() });
const functionCallOutputItem = z.looseObject({ type: z.literal("function_call_output"), call_id: z.string().min(1), output: content });

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

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
  tool_choice: z.union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.string(), name: z.string().optional() })]).nullish(),
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

function invalid(param: string, message: string, code = "invalid_request"): InvalidRequestError {
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

/** The input items as canonical messages: function calls join the assistant message before them. */
function toMessages(input: string | unknown[]): Message[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const messages: Message[] = [];
  input.forEach((raw, i) => {
    const at = `input[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw invalid(at, `Invalid value for ${at}: expected an input item object.`);
    const type = (raw as { type?: unknown }).type;
    if (type === undefined || type === "message") {
      const item = check(messageItem, raw, at);
      messages.push({ role: item.role, content: toContent(item.content) });
    } else if (type === "function_call") {
      const item = check(functionCallItem, raw, at);
      const call = { id: item.call_id, name: item.name, arguments: item.arguments };
      const last = messages.at(-1);
      if (last?.role === "assistant") (last.toolCalls ??= []).push(call);
      else messages.push({ role: "assistant", content: null, toolCalls: [call] });
    } else if (type === "function_call_output") {
      const item = check(functionCallOutputItem, raw, at);
      messages.push({ role: "tool", content: toContent(item.output), toolCallId: item.call_id });
    } else if (type === "reasoning") {
      // A reasoning item from an earlier answer: forwarded to a Responses upstream as sent; no other format has a place for it.
    } else if (type === "item_reference") {
      throw invalid(at, `${at}: item_reference is ${STATEFUL}.`, "unsupported_parameter");
    } else {
      throw invalid(`${at}.type`, `${at}: input items of type "${String(type)}" are not supported; Tollgate takes message, function_call, function_call_output and reasoning items.`, "unsupported_parameter");
    }
  });
  return messages;
}

function toTools(tools: readonly { type: string }[]): ToolDefinition[] {
  const others = tools.map((t, i) => ({ type: t.type, i })).filter((t) => t.type !== "function");
  if (others.length > 0) {
    const names = [...new Set(others.map((t) => t.type))].join(", ");
    throw invalid(`tools[${others[0]!.i}]`, `Tool types not supported: ${names}. Tollgate cannot run built-in tools; only "function" tools, which your application runs, are.`, "unsupported_tool_type");
  }
  return tools.map((raw, i) => {
    const t = check(functionTool, raw, `tools[${i}]`);
    const def: ToolDefinition = { name: t.name };
    if (t.description != null) def.description = t.description;
    if (t.parameters != null) def.parameters = t.parameters;
    if (t.strict != null) def.strict = t.strict;
    return def;
  });
}

function toToolChoice(choice: "auto" | "none" | "required" | { type: string; name?: string | undefined }): ToolChoice {
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && choice.name) return { name: choice.name };
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

  const messages = toMessages(w.input);
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
  if (w.tools?.length) request.tools = toTools(w.tools);
  if (w.tool_choice != null) request.toolChoice = toToolChoice(w.tool_choice);
  const format = w.text?.format;
  if (format != null) {
    request.responseFormat =
      format.type === "json_schema"
        ? ({ type: "json_schema", name: format.name, schema: format.schema, ...(format.strict != null ? { strict: format.strict } : {}) } satisfies ResponseFormat)
        : { type: format.type };
  }
  const dropped = Object.keys(raw).filter((k) => !READ_FIELDS.has(k) && raw[k] != null);
  if (dropped.length > 0) request.dropped = dropped;
  return request;
}
