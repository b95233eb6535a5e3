import { randomBytes } from "node:crypto";
import type { CanonicalRequest, ToolOrigin } from "../../spec/canonical-request.js";
import type { FinishReason } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { CUSTOM_INPUT } from "./tools.js";

type Json = Record<string, unknown>;

/** An id in OpenAI's style: a prefix and 48 hex digits. */
export function newId(prefix: "resp" | "msg" | "rs" | "fc" | "ctc" | "call"): string {
  return `${prefix}_${randomBytes(24).toString("hex")}`;
}

/** A response id for an answer whose upstream named it otherwise (a chat completion id, say). */
export function responseId(upstreamId: string): string {
  if (!upstreamId) return newId("resp");
  return upstreamId.startsWith("resp_") ? upstreamId : `resp_${upstreamId}`;
}

/** Canonical usage in the Responses API's shape. */
function toResponsesUsage(usage: Usage): Json {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens, cache_write_tokens: usage.cacheWriteTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** A response's status for how its answer ended: cut short by the token limit or a filter is "incomplete". */
export function statusOf(reason: FinishReason | undefined): { status: "completed" | "incomplete"; incompleteReason?: string } {
  if (reason === "length") return { status: "incomplete", incompleteReason: "max_output_tokens" };
  if (reason === "content_filter") return { status: "incomplete", incompleteReason: "content_filter" };
  return { status: "completed" };
}

export interface ResponseFields {
  id: string;
  model: string;
  createdAt: number;
  status: "in_progress" | "completed" | "incomplete";
  incompleteReason?: string;
  output: unknown[];
  usage?: Usage;
}

/** A request's tool as a response echoes it: function tools with every field, strict by default (as Responses makes them). */
function echoedTool(tool: unknown): unknown {
  if (tool === null || typeof tool !== "object" || (tool as Json).type !== "function") return tool;
  const t = tool as Json;
  return { ...t, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? true };
}

/** The full response object, echoing the request's settings as OpenAI does. */
export function responseObject(request: CanonicalRequest, f: ResponseFields): Json {
  const body = request.inbound.body;
  const text = body.text && typeof body.text === "object" ? (body.text as Json) : {};
  return {
    id: f.id,
    object: "response",
    created_at: f.createdAt,
    status: f.status,
    background: false,
    error: null,
    incomplete_details: f.incompleteReason ? { reason: f.incompleteReason } : null,
    instructions: typeof body.instructions === "string" ? body.instructions : null,
    max_output_tokens: request.maxOutputTokens ?? null,
    model: f.model,
    output: f.output,
    parallel_tool_calls: typeof body.parallel_tool_calls === "boolean" ? body.parallel_tool_calls : true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: request.temperature ?? null,
    text: { format: text.format ?? { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: Array.isArray(body.tools) ? body.tools.map(echoedTool) : [],
    top_p: request.topP ?? null,
    truncation: "disabled",
    ...(f.usage ? { usage: toResponsesUsage(f.usage) } : {}),
    ...(typeof body.user === "string" ? { user: body.user } : {}),
    metadata: body.metadata && typeof body.metadata === "object" ? body.metadata : {},
  };
}

export const outputText = (text: string): Json => ({ type: "output_text", annotations: [], logprobs: [], text });

export const messageItem = (id: string, status: "in_progress" | "completed", text: string | null): Json => ({
  id,
  type: "message",
  status,
  content: text === null ? [] : [outputText(text)],
  role: "assistant",
});

export const reasoningItem = (id: string, text: string | null): Json => ({ id, type: "reasoning", summary: text === null ? [] : [{ type: "summary_text", text }] });

const functionCallItem = (id: string, status: "in_progress" | "completed", callId: string, name: string, args: string): Json => ({
  id,
  type: "function_call",
  status,
  arguments: args,
  call_id: callId,
  name,
});

/** A custom tool's text from the arguments of the function it travelled as; the arguments as they are when the model wrote something else. */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (parsed !== null && typeof parsed === "object" && typeof (parsed as Json)[CUSTOM_INPUT] === "string") return (parsed as Json)[CUSTOM_INPUT] as string;
  } catch {
    // Not JSON: the model's text is the input.
  }
  return args;
}

/** A tool call as the item of the client's tool: a function call (in its namespace), or a custom tool call with its text input. */
export function toolCallItem(id: string, status: "in_progress" | "completed", callId: string, name: string, args: string, origin: ToolOrigin | undefined): Json {
  if (origin?.kind === "custom") {
    return { id, type: "custom_tool_call", status, call_id: callId, name: origin.name, input: customInput(args), ...(origin.namespace ? { namespace: origin.namespace } : {}) };
  }
  if (origin?.kind === "namespaced") return { ...functionCallItem(id, status, callId, origin.name, args), namespace: origin.namespace };
  return functionCallItem(id, status, callId, name, args);
}
