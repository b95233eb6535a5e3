import { describe, expect, test } from "vitest";
import type { ResolvedProvider } from "../config/resolve.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import { outputStrategy, schemaInstruction } from "./output-strategy.js";
import { strictReady } from "./strict-schema.js";

const closed = {
  type: "object",
  properties: { a: { type: "string" }, b: { type: "array", items: { type: "object", properties: { c: { type: "integer" } }, required: ["c"], additionalProperties: false } } },
  required: ["a", "b"],
  additionalProperties: false,
};
const format = { type: "json_schema" as const, name: "thing", schema: closed };
const request: CanonicalRequest = {
  model: "r",
  messages: [
    { role: "system", content: "pinned" },
    { role: "user", content: "hi" },
  ],
  stream: false,
  includeUsage: false,
  responseFormat: format,
  inbound: { api: "openai-chat", body: {} },
};
const provider = (type: ResolvedProvider["type"], extra: Record<string, unknown> = {}) => ({ type, name: "p", baseURL: "http://x", headers: {}, ...extra }) as ResolvedProvider;
const answer = (text: string | null, toolCalls?: { id: string; name: string; arguments: string }[]): CanonicalResponse => ({
  id: "1",
  model: "m",
  created: 0,
  choices: [{ index: 0, text, finishReason: toolCalls ? "tool_calls" : "stop", ...(toolCalls ? { toolCalls } : {}) }],
});

describe("strictReady", () => {
  test("needs an object root with every object closed and fully required", () => {
    expect(strictReady(closed)).toBe(true);
    expect(strictReady({ ...closed, required: ["a"] })).toBe(false);
    expect(strictReady({ ...closed, additionalProperties: true })).toBe(false);
    expect(strictReady({ type: "array", items: { type: "string" } })).toBe(false);
    expect(strictReady({ ...closed, properties: { a: { oneOf: [{ type: "string" }, { type: "integer" }] }, b: closed.properties.b } })).toBe(false);
    const nested = structuredClone(closed);
    delete (nested.properties.b.items as { additionalProperties?: boolean }).additionalProperties;
    expect(strictReady(nested)).toBe(false);
  });
});

describe("outputStrategy", () => {
  test("OpenAI and Gemini: the native schema, strict when the schema allows it unless the client said", () => {
    const s = outputStrategy(provider("openai"), request, format);
    expect(s.kind).toBe("native");
    expect(s.request.responseFormat).toEqual({ ...format, strict: true });
    expect(s.request.rewritten).toBe(true);
    expect(outputStrategy(provider("google"), request, { ...format, schema: { type: "string" } }).request.responseFormat).toMatchObject({ strict: false });
    expect(outputStrategy(provider("azure-openai"), request, { ...format, strict: false }).request.responseFormat).toMatchObject({ strict: false });
  });

  test("an OpenAI-compatible server without json_schema: JSON mode, the schema in a system instruction after the leading system messages", () => {
    const s = outputStrategy(provider("openai-compatible", { jsonSchema: false, streamUsageOption: true }), request, format);
    expect(s.kind).toBe("json-mode");
    expect(s.request.responseFormat).toEqual({ type: "json_object" });
    expect(s.request.messages).toEqual([request.messages[0], { role: "system", content: schemaInstruction(format) }, request.messages[1]]);
    expect(outputStrategy(provider("openai-compatible", { jsonSchema: true, streamUsageOption: true }), request, format).kind).toBe("native");
  });

  test("Anthropic: a forced tool; the answer is the call's input; other schemas are wrapped and unwrapped", () => {
    const s = outputStrategy(provider("anthropic"), request, format);
    expect(s.request.responseFormat).toBeUndefined();
    expect(s.request.tools).toEqual([{ name: "thing", description: expect.any(String), parameters: closed }]);
    expect(s.request.toolChoice).toEqual({ name: "thing" });
    expect(s.answerText(answer(null, [{ id: "t", name: "thing", arguments: '{"a":"x","b":[]}' }]))).toBe('{"a":"x","b":[]}');

    const list = outputStrategy(provider("anthropic"), request, { type: "json_schema", name: "not a tool name!", schema: { type: "array" } });
    expect(list.request.tools![0]).toMatchObject({ name: "structured_output", parameters: { type: "object", properties: { value: { type: "array" } }, required: ["value"] } });
    expect(list.answerText(answer(null, [{ id: "t", name: "structured_output", arguments: '{"value":[1,2]}' }]))).toBe("[1,2]");
    expect(list.answerText(answer(null, [{ id: "t", name: "structured_output", arguments: "{broken" }]))).toBe("{broken");
  });

  test("with the client's own tools: the output tool joins them, any tool may be chosen, and a call to the client's tool is the client's", () => {
    const withTools = { ...request, tools: [{ name: "lookup", parameters: { type: "object" } }] };
    const s = outputStrategy(provider("anthropic"), withTools, format);
    expect(s.request.tools!.map((t) => t.name)).toEqual(["lookup", "thing"]);
    expect(s.request.toolChoice).toBe("required");
    expect(s.answerText(answer(null, [{ id: "t", name: "lookup", arguments: "{}" }]))).toBeUndefined();
    expect(outputStrategy(provider("openai"), withTools, format).answerText(answer(null, [{ id: "t", name: "lookup", arguments: "{}" }]))).toBeUndefined();
  });
});
