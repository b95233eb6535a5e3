/**
 * Validators for the providers' published schemas (test/fixtures/schemas/README.md):
 * OpenAI's OpenAPI components and Anthropic's documented Messages shapes.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { expect } from "vitest";
import type { InboundApi } from "./matrix.js";

const schemaFile = (name: string): object => JSON.parse(readFileSync(new URL(`../fixtures/schemas/${name}`, import.meta.url), "utf8")) as object;

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const OPENAI = "https://tollgate.invalid/schemas/openai.json";
const ANTHROPIC = "https://tollgate.invalid/schemas/anthropic-messages.json";
ajv.addSchema(schemaFile("openai-openapi.json"));
ajv.addSchema(schemaFile("anthropic-messages.json"));

export type SchemaName =
  | "openai:CreateChatCompletionResponse"
  | "openai:CreateChatCompletionStreamResponse"
  | "openai:Response"
  | "openai:ResponseStreamEvent"
  | "openai:CreateEmbeddingResponse"
  | "openai:ErrorResponse"
  | "anthropic:Message"
  | "anthropic:StreamEvent"
  | "anthropic:ErrorResponse"
  | "anthropic:CountTokensResponse"
  | "anthropic:ModelList"
  | "anthropic:ModelInfo";

const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const [vendor, schema] = name.split(":") as [string, string];
    const ref = vendor === "openai" ? `${OPENAI}#/components/schemas/${schema}` : `${ANTHROPIC}#/$defs/${schema}`;
    validate = ajv.getSchema(ref)!;
    compiled.set(name, validate);
  }
  return validate;
}

/** Asserts that a value is valid under the named published schema, listing the violations when not. */
export function expectConforms(name: SchemaName, value: unknown, context = ""): void {
  const validate = validator(name);
  const ok = validate(value);
  const problems = ok ? [] : (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
  expect(problems, `${context} ${name}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
}

/** The schema of each body or stream payload a client of `api` receives. */
function answerSchema(api: InboundApi, stream: boolean): SchemaName {
  if (api === "chat") return stream ? "openai:CreateChatCompletionStreamResponse" : "openai:CreateChatCompletionResponse";
  if (api === "responses") return stream ? "openai:ResponseStreamEvent" : "openai:Response";
  return stream ? "anthropic:StreamEvent" : "anthropic:Message";
}

/** Asserts that an answer (a body, or a stream's payloads without [DONE]) conforms to the client API's schema. */
export function expectAnswerConforms(api: InboundApi, stream: boolean, data: unknown, context = ""): void {
  const name = answerSchema(api, stream);
  if (!stream) return expectConforms(name, data, context);
  for (const [i, payload] of (data as string[]).entries()) expectConforms(name, JSON.parse(payload), `${context} payload ${i}`);
}
