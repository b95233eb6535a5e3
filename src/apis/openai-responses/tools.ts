import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { fieldPath } from "../../errors/field-path.js";
import type { ToolDefinition, ToolOrigin } from "../../spec/canonical-request.js";

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
const customTool = z.looseObject({ type: z.literal("custom"), name: z.string().min(1), description: z.string().nullish() });
const namespaceTool = z.looseObject({
  type: z.literal("namespace"),
  name: z.string().min(1),
  description: z.string().nullish(),
  tools: z.array(z.union([functionTool, customTool])),
});

/** The one argument a custom tool's free text travels in when it becomes a function tool. */
export const CUSTOM_INPUT = "input";

/** The function name a namespaced tool gets where namespaces do not exist. */
function flatName(namespace: string, name: string): string {
  return `${namespace}__${name}`;
}

export interface ResponsesTools {
  tools: ToolDefinition[];
  origins: Record<string, ToolOrigin>;
  /** Built-in tool types (web_search, mcp, shell, ...): only OpenAI runs them. */
  builtIn: string[];
}

function parse<T extends z.ZodType>(schema: T, value: unknown, at: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const rest = fieldPath(issue.path);
  const param = rest ? `${at}${rest.startsWith("[") ? "" : "."}${rest}` : at;
  throw new InvalidRequestError("invalid_request", `Invalid value for ${param}: ${issue.message}`, { param });
}

function customDefinition(name: string, description: string | null | undefined): ToolDefinition {
  const def: ToolDefinition = {
    name,
    parameters: { type: "object", properties: { [CUSTOM_INPUT]: { type: "string", description: "The tool's input, as free text." } }, required: [CUSTOM_INPUT], additionalProperties: false },
  };
  if (description != null) def.description = description;
  return def;
}

function functionDefinition(name: string, t: z.infer<typeof functionTool>): ToolDefinition {
  const def: ToolDefinition = { name };
  if (t.description != null) def.description = t.description;
  if (t.parameters != null) def.parameters = t.parameters;
  if (t.strict != null) def.strict = t.strict;
  return def;
}

/**
 * Reads a Responses `tools` array: function tools as they are, custom tools as functions
 * with one text argument, namespaces flattened into functions, built-in tools set aside
 * (a Responses upstream gets the array as sent either way).
 */
export function readResponsesTools(raw: readonly { type: string }[]): ResponsesTools {
  const out: ResponsesTools = { tools: [], origins: {}, builtIn: [] };
  raw.forEach((tool, i) => {
    const at = `tools[${i}]`;
    if (tool.type === "function") {
      const t = parse(functionTool, tool, at);
      out.tools.push(functionDefinition(t.name, t));
    } else if (tool.type === "custom") {
      const t = parse(customTool, tool, at);
      out.tools.push(customDefinition(t.name, t.description));
      out.origins[t.name] = { kind: "custom", name: t.name };
    } else if (tool.type === "namespace") {
      const ns = parse(namespaceTool, tool, at);
      for (const inner of ns.tools) {
        const name = flatName(ns.name, inner.name);
        const description = [ns.description, inner.description].filter(Boolean).join(" ") || undefined;
        if (inner.type === "custom") {
          out.tools.push(customDefinition(name, description));
          out.origins[name] = { kind: "custom", name: inner.name, namespace: ns.name };
        } else {
          out.tools.push(functionDefinition(name, { ...inner, description: description ?? null }));
          out.origins[name] = { kind: "namespaced", namespace: ns.name, name: inner.name };
        }
      }
    } else if (!out.builtIn.includes(tool.type)) out.builtIn.push(tool.type);
  });
  return out;
}

/** The canonical tool name of a call in the client's history: namespaced calls flattened as their tools were. */
export function callName(name: string, namespace: unknown): string {
  return typeof namespace === "string" && namespace !== "" ? flatName(namespace, name) : name;
}
