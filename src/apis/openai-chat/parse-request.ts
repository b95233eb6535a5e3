import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message, ResponseFormat, ToolChoice } from "../../spec/canonical-request.js";
import { fieldPath } from "../../errors/field-path.js";
import { isPlainChatBody } from "./plain-body.js";

const textPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const imagePart = z.looseObject({ type: z.literal("image_url"), image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }) });
const otherPart = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.null(), z.array(z.union([textPart, imagePart, otherPart]))]);

const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: content.optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).nullish(),
  tool_call_id: z.string().optional(),
});

const positiveInt = z.number().int().positive();

/** The Chat Completions fields Tollgate reads; others pass through to same-format upstreams untouched. */
export const chatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal("function"),
        function: z.looseObject({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
      }),
    )
    .nullish(),
  tool_choice: z.union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) })]).nullish(),
  response_format: z
    .union([
      z.looseObject({ type: z.literal("text") }),
      z.looseObject({ type: z.literal("json_object") }),
      z.looseObject({
        type: z.literal("json_schema"),
        json_schema: z.looseObject({ name: z.string(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
      }),
    ])
    .nullish(),
});

type ChatRequestWire = z.infer<typeof chatRequest>;

/** Fields the canonical request carries; any other field reaches only a Chat Completions upstream. */
const MODELLED = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "n",
  "stop",
  "seed",
  "tools",
  "tool_choice",
  "response_format",
  "user",
]);

function toMessage(m: ChatRequestWire["messages"][number]): Message {
  const out: Message = { role: m.role, content: null };
  if (typeof m.content === "string") out.content = m.content;
  else if (Array.isArray(m.content)) {
    out.content = m.content.map((part): ContentPart => {
      if (part.type === "text") return { type: "text", text: (part as { text: string }).text };
      if (part.type === "image_url") {
        const image = (part as { image_url: { url: string; detail?: string } }).image_url;
        return image.detail ? { type: "image", url: image.url, detail: image.detail } : { type: "image", url: image.url };
      }
      return { type: "other", raw: part };
    });
  }
  if (m.name) out.name = m.name;
  if (m.tool_calls) out.toolCalls = m.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
  if (m.tool_call_id) out.toolCallId = m.tool_call_id;
  return out;
}

function validated(body: unknown): ChatRequestWire {
  const parsed = chatRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = fieldPath(issue.path);
  throw new InvalidRequestError("invalid_request", `Invalid value for ${param || "body"}: ${issue.message}`, { param: param || null });
}

/** Validates a Chat Completions body and reads it into the canonical request; throws a 400 naming the bad field. */
export function parseChatRequest(body: unknown): CanonicalRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  }
  const w = isPlainChatBody(body as Record<string, unknown>) ? (body as ChatRequestWire) : validated(body);
  const request: CanonicalRequest = {
    model: w.model,
    messages: w.messages.map(toMessage),
    stream: w.stream === true,
    includeUsage: w.stream_options?.include_usage === true,
    inbound: { api: "openai-chat", body: body as Record<string, unknown> },
  };
  // A null field carries nothing: only fields with a value are lost in translation.
  const dropped = Object.keys(body).filter((k) => !MODELLED.has(k) && (body as Record<string, unknown>)[k] != null);
  if (dropped.length > 0) request.dropped = dropped;
  const maxTokens = w.max_completion_tokens ?? w.max_tokens;
  if (maxTokens != null) request.maxOutputTokens = maxTokens;
  if (w.temperature != null) request.temperature = w.temperature;
  if (w.top_p != null) request.topP = w.top_p;
  if (w.n != null) request.n = w.n;
  if (w.stop != null) request.stop = typeof w.stop === "string" ? [w.stop] : w.stop;
  if (w.seed != null) request.seed = w.seed;
  if (w.tools) {
    request.tools = w.tools.map((t) => {
      const def: NonNullable<CanonicalRequest["tools"]>[number] = { name: t.function.name };
      if (t.function.description !== undefined) def.description = t.function.description;
      if (t.function.parameters !== undefined) def.parameters = t.function.parameters;
      if (t.function.strict != null) def.strict = t.function.strict;
      return def;
    });
  }
  if (w.tool_choice != null) request.toolChoice = typeof w.tool_choice === "string" ? w.tool_choice : ({ name: w.tool_choice.function.name } satisfies ToolChoice);
  const format = w.response_format;
  if (format != null) {
    request.responseFormat =
      format.type === "json_schema"
        ? ({
            type: "json_schema",
            name: format.json_schema.name,
            schema: format.json_schema.schema ?? {},
            ...(format.json_schema.strict != null ? { strict: format.json_schema.strict } : {}),
          } satisfies ResponseFormat)
        : { type: format.type };
  }
  return request;
}
