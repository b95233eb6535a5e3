import type { TopLevelMembers } from "../../json/top-level-members.js";
import type { Usage } from "../../spec/usage.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import type { CanonicalResponse, ResponseChoice } from "../../spec/canonical-response.js";
import type { FinishReason } from "../../spec/stream-events.js";
import { reportedError } from "./responses-error.js";
import { normalizeResponsesUsage } from "./responses-usage.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** What a response's output items say, in canonical terms. */
export interface ResponsesOutput {
  /** Concatenated output_text (and refusal) parts of the message items; null when there are none. */
  text: string | null;
  /** Summary (or raw reasoning_text) parts of the reasoning items, joined with a blank line. */
  reasoning: string;
  toolCalls: ToolCall[];
}

/** Reads the `output` array of a Responses API response: messages, reasoning, function calls; other item types are skipped. */
export function readOutputItems(items: readonly unknown[]): ResponsesOutput {
  let text: string | null = null;
  const reasoning: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const item of items) {
    if (!isObject(item)) continue;
    if (item.type === "message") {
      const content = Array.isArray(item.content) ? item.content : [];
      for (const part of content) {
        if (!isObject(part)) continue;
        if (part.type === "output_text") text = (text ?? "") + str(part.text);
        else if (part.type === "refusal") text = (text ?? "") + str(part.refusal);
      }
    } else if (item.type === "reasoning") {
      const summary = Array.isArray(item.summary) ? item.summary : [];
      const parts = summary.filter(isObject).map((p) => str(p.text));
      // Open-weight models stream their raw reasoning as reasoning_text content instead.
      if (parts.length === 0 && Array.isArray(item.content)) parts.push(...item.content.filter(isObject).map((p) => str(p.text)));
      reasoning.push(...parts);
    } else if (item.type === "function_call") {
      toolCalls.push({ id: str(item.call_id), name: str(item.name), arguments: str(item.arguments) });
    }
  }
  return { text, reasoning: reasoning.join("\n\n"), toolCalls };
}

/** The canonical finish of a response with this status (a failed one throws its error). */
export function finishOf(response: Json, hasToolCalls: boolean): { reason: FinishReason; raw: string } {
  const status = str(response.status);
  if (status === "failed") throw reportedError(response.error, "the response failed");
  if (status === "incomplete") {
    const why = isObject(response.incomplete_details) ? str(response.incomplete_details.reason) : "";
    return { reason: why === "max_output_tokens" ? "length" : why === "content_filter" ? "content_filter" : "other", raw: why || "incomplete" };
  }
  if (status === "completed") return { reason: hasToolCalls ? "tool_calls" : "stop", raw: status };
  return { reason: "other", raw: status || "unknown" };
}

/** Parses a non-streamed Responses API body. */
export function parseResponsesBody(body: unknown): CanonicalResponse {
  if (!isObject(body) || !Array.isArray(body.output)) throw new UpstreamProtocolError("Upstream returned a response without an output array.");
  const output = readOutputItems(body.output);
  const finish = finishOf(body, output.toolCalls.length > 0);
  const choice: ResponseChoice = { index: 0, text: output.text, finishReason: finish.reason };
  if (output.reasoning) choice.reasoning = output.reasoning;
  if (output.toolCalls.length > 0) choice.toolCalls = output.toolCalls;
  const response: CanonicalResponse = { id: str(body.id), model: str(body.model), created: typeof body.created_at === "number" ? body.created_at : 0, choices: [choice] };
  const usage = normalizeResponsesUsage(body.usage);
  if (usage) response.usage = usage;
  return response;
}

/** A large Responses body's usage from its top-level members (see ProviderAdapter.largeAnswerUsage); a failed response is parsed whole, for its error. */
export function responsesAnswerUsage(members: TopLevelMembers): { usage: Usage | undefined } | undefined {
  return members.opens("output") === "[" && members.value("status") !== "failed" ? { usage: normalizeResponsesUsage(members.value("usage")) } : undefined;
}
