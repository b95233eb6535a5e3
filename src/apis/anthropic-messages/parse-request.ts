import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from "../../spec/canonical-request.js";
import { fieldPath } from "../../errors/field-path.js";

// Block types Tollgate reads are validated; every other block type is accepted as it is
// (passed through to Anthropic upstreams untouched, an opaque part or dropped for others).
const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

/** Each block is checked by the schema of its `type` (so an error names the field that is wrong); other types pass as they are. */
function typed(schemas: Record<string, z.ZodType>) {
  return z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
    const schema = schemas[value.type];
    if (!schema) return;
    const result = schema.safeParse(value);
    if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  });
}

const imageSource = typed({
  base64: z.looseObject({ media_type: z.string().min(1), data: z.string() }),
  url: z.looseObject({ url: z.string().min(1) }),
});
const imageBlock = z.looseObject({ type: z.literal("image"), source: imageSource });
const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(typed({ text: textBlock, image: imageBlock }))]).optional(),
  is_error: z.boolean().nullish(),
});
const toolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()) });
const thinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string() });
const block = typed({ text: textBlock, image: imageBlock, tool_use: toolUseBlock, tool_result: toolResultBlock, thinking: thinkingBlock });

const message = z.looseObject({
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(block)]),
});

const positiveInt = z.number().int().positive();

const tool = z.looseObject({
  name: z.string().min(1),
  /** Absent or "custom" for a client tool; a versioned name ("web_search_20250305", ...) for Anthropic's server tools. */
  type: z.string().nullish(),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullish(),
});

/** The Messages fields Tollgate reads; others pass through to Anthropic upstreams untouched. */
const messagesRequest = z.looseObject({
  model: z.string().min(1),
  max_tokens: positiveInt,
  messages: z.array(message).min(1),
  system: z.union([z.string(), z.array(textBlock)]).nullish(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().nonnegative().nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z
    .union([
      z.looseObject({ type: z.enum(["auto", "any", "none"]), disable_parallel_tool_use: z.boolean().nullish() }),
      z.looseObject({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().nullish() }),
    ])
    .nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  output_config: z.looseObject({ format: z.looseObject({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) }).nullish() }).nullish(),
});

type MessagesRequestWire = z.infer<typeof messagesRequest>;
type WireBlock = z.infer<typeof block> & Record<string, unknown>;
type WireTool = z.infer<typeof tool>;

/** Top-level fields read into the canonical request; the others reach only Anthropic upstreams. */
const CARRIED = new Set(["model", "max_tokens", "messages", "system", "stream", "temperature", "top_p", "stop_sequences", "tools", "tool_choice", "metadata", "output_config"]);

function imageUrl(source: Record<string, unknown>): string | undefined {
  if (source.type === "base64" && typeof source.media_type === "string" && typeof source.data === "string") return `data:${source.media_type};base64,${source.data}`;
  if (source.type === "url" && typeof source.url === "string") return source.url;
  return undefined;
}

/** Text and image blocks as canonical parts; anything else as an opaque part. */
function toPart(b: { type: string } & Record<string, unknown>): ContentPart {
  if (b.type === "text" && typeof b.text === "string") return { type: "text", text: b.text };
  if (b.type === "image" && b.source && typeof b.source === "object") {
    const url = imageUrl(b.source as Record<string, unknown>);
    if (url !== undefined) return { type: "image", url };
  }
  return { type: "other", raw: b };
}

/** Parts as Chat-style content: a plain string when they are all text. */
function contentOf(parts: ContentPart[]): Message["content"] {
  if (parts.length === 0) return null;
  if (parts.every((p) => p.type === "text")) return parts.map((p) => (p as { text: string }).text).join("");
  return parts;
}

function isClientTool(t: WireTool): boolean {
  return (t.type == null || t.type === "custom") && t.input_schema !== undefined;
}

/** Block types of Anthropic's server tools and context management: only Anthropic can read them back. */
function isServerBlock(type: string): boolean {
  return type === "server_tool_use" || type === "compaction" || type.startsWith("mcp_") || type.endsWith("_tool_result") || type === "container_upload";
}

class Reader {
  readonly messages: Message[] = [];
  readonly dropped = new Set<string>();
  readonly providerOnly = new Set<string>();

  /** A block no canonical part carries: Anthropic's own (server tools, compaction) or merely lost in translation. */
  private other(type: string): void {
    if (isServerBlock(type)) this.providerOnly.add(`${type} blocks`);
    else this.dropped.add(`${type} blocks`);
  }

  system(system: MessagesRequestWire["system"]): void {
    if (system == null) return;
    if (typeof system === "string") {
      if (system !== "") this.messages.push({ role: "system", content: system });
      return;
    }
    if (system.some((b) => b.cache_control !== undefined)) this.dropped.add("system[].cache_control");
    const parts = system.map((b): ContentPart => ({ type: "text", text: b.text }));
    if (parts.length > 0) this.messages.push({ role: "system", content: contentOf(parts) });
  }

  message(m: MessagesRequestWire["messages"][number], i: number): void {
    if (typeof m.content === "string") {
      this.messages.push({ role: m.role, content: m.content });
      return;
    }
    const blocks = m.content as WireBlock[];
    if (blocks.some((b) => b.cache_control !== undefined)) this.dropped.add(`messages[].content[].cache_control`);
    if (m.role === "assistant") return this.assistant(blocks);
    // A user turn: its tool results become tool messages, in place; the rest user (or system) messages around them.
    let parts: ContentPart[] = [];
    const flush = () => {
      if (parts.length > 0) this.messages.push({ role: m.role, content: contentOf(parts) });
      parts = [];
    };
    blocks.forEach((b, j) => {
      if (b.type === "tool_result") {
        flush();
        const r = b as z.infer<typeof toolResultBlock>;
        if (r.is_error) this.dropped.add("tool_result.is_error");
        const content = typeof r.content === "string" ? r.content : contentOf((r.content ?? []).map((c) => toPart(c as { type: string } & Record<string, unknown>)));
        this.messages.push({ role: "tool", toolCallId: r.tool_use_id, content: content ?? "" });
      } else if (b.type === "tool_use" || b.type === "thinking" || b.type === "redacted_thinking") {
        throw new InvalidRequestError("invalid_request", `messages[${i}].content[${j}]: ${b.type} blocks belong in assistant turns.`, { param: `messages[${i}].content[${j}].type` });
      } else {
        const part = toPart(b as { type: string } & Record<string, unknown>);
        if (part.type === "other") this.other(b.type);
        parts.push(part);
      }
    });
    flush();
  }

  private assistant(blocks: WireBlock[]): void {
    const parts: ContentPart[] = [];
    const toolCalls: ToolCall[] = [];
    for (const b of blocks) {
      if (b.type === "tool_use") {
        const u = b as z.infer<typeof toolUseBlock>;
        toolCalls.push({ id: u.id, name: u.name, arguments: JSON.stringify(u.input) });
      } else if (b.type === "thinking" || b.type === "redacted_thinking") {
        // Earlier reasoning has no canonical place (and only Anthropic can verify its signature).
        this.dropped.add(`${b.type} blocks`);
      } else {
        const part = toPart(b as { type: string } & Record<string, unknown>);
        if (part.type === "other") this.other(b.type);
        parts.push(part);
      }
    }
    const out: Message = { role: "assistant", content: contentOf(parts) };
    if (toolCalls.length > 0) out.toolCalls = toolCalls;
    this.messages.push(out);
  }
}

function toolChoiceOf(choice: NonNullable<MessagesRequestWire["tool_choice"]>): ToolChoice {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    default:
      return { name: (choice as { name: string }).name };
  }
}

/** Validates a Messages body and reads it into the canonical request; throws a 400 naming the bad field. */
export function parseMessagesRequest(body: unknown): CanonicalRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  }
  const raw = body as Record<string, unknown>;
  // Required by the Messages API (unlike Chat Completions); said the way Anthropic says it.
  if (raw.max_tokens === undefined || raw.max_tokens === null) throw new InvalidRequestError("invalid_request", "max_tokens: Field required", { param: "max_tokens" });
  const parsed = messagesRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = fieldPath(issue.path);
    throw new InvalidRequestError("invalid_request", `${param || "body"}: ${issue.message}`, { param: param || null });
  }
  const w = parsed.data;
  const reader = new Reader();
  reader.system(w.system);
  for (const [i, m] of w.messages.entries()) reader.message(m, i);

  const request: CanonicalRequest = {
    model: w.model,
    messages: reader.messages,
    stream: w.stream === true,
    // A Messages stream always reports usage (message_start and message_delta).
    includeUsage: true,
    maxOutputTokens: w.max_tokens,
    inbound: { api: "anthropic-messages", body: raw },
  };
  if (w.temperature != null) request.temperature = w.temperature;
  if (w.top_p != null) request.topP = w.top_p;
  if (w.stop_sequences?.length) request.stop = w.stop_sequences;
  const providerOnly = reader.providerOnly;
  // Context management (clearing tool results, compaction) and MCP servers are Anthropic's to run.
  for (const field of ["context_management", "mcp_servers", "container"]) if (raw[field] != null) providerOnly.add(field);
  if (w.tools?.length) {
    const tools: ToolDefinition[] = [];
    for (const t of w.tools) {
      if (!isClientTool(t)) {
        // Server tools (web search, code execution, MCP toolsets, ...) run at Anthropic; nothing else can run them.
        providerOnly.add(t.type ?? t.name);
        continue;
      }
      const def: ToolDefinition = { name: t.name, parameters: t.input_schema! };
      if (t.description != null) def.description = t.description;
      if (t.strict != null) def.strict = t.strict;
      tools.push(def);
    }
    if (tools.length > 0) request.tools = tools;
  }
  if (w.tool_choice != null) {
    request.toolChoice = toolChoiceOf(w.tool_choice);
    if (w.tool_choice.disable_parallel_tool_use != null) reader.dropped.add("tool_choice.disable_parallel_tool_use");
  }
  const format = w.output_config?.format;
  if (format) request.responseFormat = { type: "json_schema", name: "output", schema: format.schema } satisfies ResponseFormat;
  const user = w.metadata?.user_id;
  if (typeof user === "string" && user !== "") request.endUser = user;
  // A null field carries nothing: only fields with a value are lost in translation.
  for (const key of Object.keys(raw)) if (!CARRIED.has(key) && raw[key] != null) reader.dropped.add(key);
  if (reader.dropped.size > 0) request.dropped = [...reader.dropped];
  if (providerOnly.size > 0) request.providerOnly = [...providerOnly];
  return request;
}
