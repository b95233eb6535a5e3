import type { ResolvedProvider } from "../config/resolve.js";
import type { CanonicalRequest, Message } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import { strictReady } from "./strict-schema.js";

type JsonSchemaFormat = Extract<NonNullable<CanonicalRequest["responseFormat"]>, { type: "json_schema" }>;

/** How one target is asked for JSON, and where its answer is. */
export interface OutputStrategy {
  kind: "native" | "json-mode" | "forced-tool";
  /** The request as this target gets it. */
  request: CanonicalRequest;
  /**
   * The JSON text the model answered; undefined when it called one of the client's own
   * tools instead (that answer goes back to the client as it is).
   */
  answerText(response: CanonicalResponse): string | undefined;
}

/** The name a forced tool gets: the format's name when a tool may carry it. */
function toolNameOf(format: JsonSchemaFormat): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(format.name) ? format.name : "structured_output";
}

function plainAnswer(response: CanonicalResponse): string | undefined {
  const choice = response.choices[0];
  if (choice?.toolCalls?.length) return undefined;
  return choice?.text ?? "";
}

/** Where an added system instruction goes: after the leading system messages (a pinned prompt stays first). */
function afterSystem(messages: readonly Message[], added: Message): Message[] {
  let at = 0;
  while (at < messages.length && (messages[at]!.role === "system" || messages[at]!.role === "developer")) at++;
  return [...messages.slice(0, at), added, ...messages.slice(at)];
}

export function schemaInstruction(format: JsonSchemaFormat): string {
  return `Answer with one JSON value and nothing else (no prose, no code fence). It must be valid against this JSON Schema:\n${JSON.stringify(format.schema)}`;
}

function native(request: CanonicalRequest, format: JsonSchemaFormat): OutputStrategy {
  const strict = format.strict ?? strictReady(format.schema);
  return { kind: "native", request: { ...request, rewritten: true, responseFormat: { ...format, strict } }, answerText: plainAnswer };
}

function jsonMode(request: CanonicalRequest, format: JsonSchemaFormat): OutputStrategy {
  const messages = afterSystem(request.messages, { role: "system", content: schemaInstruction(format) });
  return { kind: "json-mode", request: { ...request, rewritten: true, messages, responseFormat: { type: "json_object" } }, answerText: plainAnswer };
}

/**
 * Anthropic: one tool whose input schema is the answer's, and the model made to call it.
 * A tool's input must be an object, so any other schema is wrapped as `{value: ...}`.
 */
function forcedTool(request: CanonicalRequest, format: JsonSchemaFormat): OutputStrategy {
  const name = toolNameOf(format);
  const wrapped = format.schema.type !== "object";
  const parameters = wrapped ? { type: "object", properties: { value: format.schema }, required: ["value"] } : format.schema;
  const tool = { name, description: "Give your answer by calling this tool: its input is the answer.", parameters };
  const clientTools = request.tools ?? [];
  const { responseFormat: _answered, ...rest } = request;
  const shaped: CanonicalRequest = { ...rest, rewritten: true, tools: [...clientTools, tool], toolChoice: clientTools.length > 0 ? "required" : { name } };
  return {
    kind: "forced-tool",
    request: shaped,
    answerText(response) {
      const choice = response.choices[0];
      const call = choice?.toolCalls?.find((c) => c.name === name);
      if (!call) return plainAnswer(response);
      if (!wrapped) return call.arguments;
      try {
        const value = (JSON.parse(call.arguments) as { value?: unknown }).value;
        return value === undefined ? "" : JSON.stringify(value);
      } catch {
        return call.arguments;
      }
    },
  };
}

/** The way this provider best produces JSON that follows a schema (docs/structured-output.md). */
export function outputStrategy(provider: ResolvedProvider, request: CanonicalRequest, format: JsonSchemaFormat): OutputStrategy {
  switch (provider.type) {
    case "openai":
    case "azure-openai":
    case "google":
    case "simulator":
      return native(request, format);
    case "openai-compatible":
      return provider.jsonSchema ? native(request, format) : jsonMode(request, format);
    case "anthropic":
    // Bedrock's Converse and Vertex's Claude models have no schema field; a forced tool works for every model behind them.
    case "bedrock":
    case "vertex":
      return forcedTool(request, format);
  }
}
