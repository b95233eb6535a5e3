import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { fieldPath } from "../../errors/field-path.js";
import type { CanonicalRequest, ContentPart, Message, ToolCall, ToolChoice, ToolDefinition } from "../../spec/canonical-request.js";
import { jsonSchemaFromGemini } from "./json-schema.js";

// Parts Tollgate reads are validated; a part of another kind (executableCode, videoMetadata, ...)
// passes through to Gemini upstreams untouched and is dropped for others.
const part = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().nullish(),
  inlineData: z.looseObject({ mimeType: z.string().min(1), data: z.string() }).optional(),
  fileData: z.looseObject({ mimeType: z.string().nullish(), fileUri: z.string().min(1) }).optional(),
  functionCall: z.looseObject({ id: z.string().nullish(), name: z.string().min(1), args: z.record(z.string(), z.unknown()).nullish() }).optional(),
  functionResponse: z.looseObject({ id: z.string().nullish(), name: z.string().min(1), response: z.record(z.string(), z.unknown()).nullish() }).optional(),
});

const content = z.looseObject({
  role: z.enum(["user", "model", "function"]).nullish(),
  parts: z.array(part),
});

const functionDeclaration = z.looseObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  parametersJsonSchema: z.record(z.string(), z.unknown()).nullish(),
});

const tool = z.looseObject({ functionDeclarations: z.array(functionDeclaration).nullish() });

const generationConfig = z.looseObject({
  stopSequences: z.array(z.string()).nullish(),
  responseMimeType: z.string().nullish(),
  responseSchema: z.record(z.string(), z.unknown()).nullish(),
  responseJsonSchema: z.record(z.string(), z.unknown()).nullish(),
  candidateCount: z.number().int().positive().nullish(),
  maxOutputTokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  topP: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
});

/** The generateContent fields Tollgate reads; others pass through to Gemini upstreams untouched. */
const generateContentRequest = z.looseObject({
  contents: z.array(content).min(1),
  systemInstruction: z.union([z.string(), content.extend({ role: z.string().nullish() })]).nullish(),
  tools: z.array(tool).nullish(),
  toolConfig: z
    .looseObject({
      functionCallingConfig: z.looseObject({ mode: z.enum(["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]).nullish(), allowedFunctionNames: z.array(z.string()).nullish() }).nullish(),
    })
    .nullish(),
  generationConfig: generationConfig.nullish(),
});

type Wire = z.infer<typeof generateContentRequest>;
type WirePart = z.infer<typeof part>;

/** Top-level fields read into the canonical request; the others reach only Gemini upstreams. */
const CARRIED = new Set(["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "model"]);
/** generationConfig fields read into the canonical request. */
const CARRIED_GENERATION = new Set(["stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "candidateCount", "maxOutputTokens", "temperature", "topP", "seed"]);

/** What to read from the path: the model and whether the answer streams. */
export interface GeminiCall {
  model: string;
  stream: boolean;
}

function mediaPart(p: WirePart): ContentPart | undefined {
  if (p.inlineData) {
    const { mimeType, data } = p.inlineData;
    const url = `data:${mimeType};base64,${data}`;
    if (mimeType.startsWith("image/")) return { type: "image", url };
    // As OpenAI's audio and file parts, which the other providers' builders read.
    if (mimeType.startsWith("audio/")) return { type: "other", raw: { type: "input_audio", input_audio: { data, format: mimeType.slice(6) } } };
    return { type: "other", raw: { type: "file", file: { file_data: url } } };
  }
  if (p.fileData) return { type: "image", url: p.fileData.fileUri };
  return undefined;
}

function contentOf(parts: ContentPart[]): Message["content"] {
  if (parts.length === 0) return null;
  if (parts.every((p) => p.type === "text")) return parts.map((p) => (p as { text: string }).text).join("");
  return parts;
}

/**
 * A functionResponse's object as a tool message's text. The wrappers clients put around a
 * result are taken off: `{output}` (Gemini CLI), `{content}` (Tollgate's own, from other APIs),
 * `{name, content}` (the AI SDK, echoing the function's name).
 */
function resultText(response: Record<string, unknown> | null | undefined, name: string): string {
  if (!response) return "";
  const { name: echoed, ...rest } = response;
  const body = echoed === name ? rest : response;
  const keys = Object.keys(body);
  if (keys.length === 1 && (keys[0] === "content" || keys[0] === "output")) {
    const value = body[keys[0]];
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  return JSON.stringify(response);
}

class Reader {
  readonly messages: Message[] = [];
  readonly dropped = new Set<string>();
  /** Calls not answered yet, by name, oldest first: Gemini pairs a result with its call by name (and id when both carry one). */
  private readonly open = new Map<string, string[]>();

  system(system: Wire["systemInstruction"]): void {
    if (system == null) return;
    const text = typeof system === "string" ? system : system.parts.map((p) => p.text ?? "").join("");
    if (text !== "") this.messages.push({ role: "system", content: text });
  }

  content(c: Wire["contents"][number], i: number): void {
    if (c.role === "model") return this.model(c.parts, i);
    let parts: ContentPart[] = [];
    const flush = () => {
      if (parts.length > 0) this.messages.push({ role: "user", content: contentOf(parts) });
      parts = [];
    };
    c.parts.forEach((p, j) => {
      if (p.functionResponse) {
        flush();
        const r = p.functionResponse;
        this.messages.push({ role: "tool", toolCallId: this.answer(r.name, r.id ?? undefined, i, j), name: r.name, content: resultText(r.response, r.name) });
      } else if (p.functionCall) {
        throw new InvalidRequestError("invalid_request", `contents[${i}].parts[${j}]: a functionCall belongs in a "model" turn.`, { param: `contents[${i}].role` });
      } else this.pushPart(parts, p);
    });
    flush();
  }

  private model(wireParts: WirePart[], i: number): void {
    const parts: ContentPart[] = [];
    const toolCalls: ToolCall[] = [];
    wireParts.forEach((p, j) => {
      if (p.functionCall) {
        const call = p.functionCall;
        const id = call.id || `call_${i}_${j}`;
        const queue = this.open.get(call.name) ?? [];
        queue.push(id);
        this.open.set(call.name, queue);
        toolCalls.push({ id, name: call.name, arguments: JSON.stringify(call.args ?? {}) });
      } else if (p.thought === true) {
        // Earlier reasoning has no canonical place (and only Gemini can verify its signature).
        this.dropped.add("thought parts");
      } else this.pushPart(parts, p);
    });
    const out: Message = { role: "assistant", content: contentOf(parts) };
    if (toolCalls.length > 0) out.toolCalls = toolCalls;
    this.messages.push(out);
  }

  private pushPart(parts: ContentPart[], p: WirePart): void {
    if (typeof p.text === "string") {
      if (p.text !== "") parts.push({ type: "text", text: p.text });
      return;
    }
    const media = mediaPart(p);
    if (media) parts.push(media);
    else this.dropped.add(`${Object.keys(p).find((k) => k !== "thoughtSignature") ?? "empty"} parts`);
  }

  /** The id of the call a result answers: its own id when it names an open call, else the oldest open call of that name. */
  private answer(name: string, id: string | undefined, i: number, j: number): string {
    const queue = this.open.get(name) ?? [];
    const at = id !== undefined && queue.includes(id) ? queue.indexOf(id) : 0;
    const [matched] = queue.splice(at, 1);
    return matched ?? id ?? `call_${i}_${j}`;
  }
}

function toolChoiceOf(config: NonNullable<NonNullable<Wire["toolConfig"]>["functionCallingConfig"]>): ToolChoice | undefined {
  switch (config.mode) {
    case "NONE":
      return "none";
    case "ANY":
      return config.allowedFunctionNames?.length === 1 ? { name: config.allowedFunctionNames[0]! } : "required";
    case "AUTO":
    case "VALIDATED":
      return "auto";
    default:
      return undefined;
  }
}

function toolsOf(wire: NonNullable<Wire["tools"]>, dropped: Set<string>): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  for (const t of wire) {
    for (const key of Object.keys(t)) if (key !== "functionDeclarations" && t[key] != null) dropped.add(`tools (${key})`);
    for (const f of t.functionDeclarations ?? []) {
      const def: ToolDefinition = { name: f.name };
      if (f.description != null) def.description = f.description;
      const parameters = f.parametersJsonSchema ?? (f.parameters ? jsonSchemaFromGemini(f.parameters) : undefined);
      def.parameters = parameters ?? { type: "object", properties: {} };
      tools.push(def);
    }
  }
  return tools;
}

function invalid(error: z.ZodError, prefix: string): InvalidRequestError {
  const issue = error.issues[0]!;
  const param = [prefix, fieldPath(issue.path)].filter(Boolean).join(".");
  return new InvalidRequestError("invalid_request", `${param || "body"}: ${issue.message}`, { param: param || null });
}

/**
 * Validates a generateContent body (the model and streaming come from the path) and reads it
 * into the canonical request; throws a 400 naming the bad field. `prefix` names where the
 * body sits in the client's request (countTokens' `generateContentRequest`).
 */
export function parseGenerateContentRequest(body: unknown, call: GeminiCall, prefix = ""): CanonicalRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  }
  const parsed = generateContentRequest.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error, prefix);
  const raw = body as Record<string, unknown>;
  const w = parsed.data;
  const reader = new Reader();
  reader.system(w.systemInstruction);
  for (const [i, c] of w.contents.entries()) reader.content(c, i);

  const request: CanonicalRequest = {
    model: call.model,
    messages: reader.messages,
    stream: call.stream,
    // Gemini reports usageMetadata on every answer.
    includeUsage: true,
    inbound: { api: "gemini", body: raw },
  };
  const g = w.generationConfig;
  if (g) {
    if (g.maxOutputTokens != null) request.maxOutputTokens = g.maxOutputTokens;
    if (g.temperature != null) request.temperature = g.temperature;
    if (g.topP != null) request.topP = g.topP;
    if (g.stopSequences?.length) request.stop = g.stopSequences;
    if (g.candidateCount != null && g.candidateCount > 1) request.n = g.candidateCount;
    if (g.seed != null) request.seed = g.seed;
    const schema = g.responseJsonSchema ?? (g.responseSchema ? jsonSchemaFromGemini(g.responseSchema) : undefined);
    if (schema) request.responseFormat = { type: "json_schema", name: "response", schema };
    else if (g.responseMimeType === "application/json") request.responseFormat = { type: "json_object" };
    for (const key of Object.keys(g)) if (!CARRIED_GENERATION.has(key) && g[key] != null) reader.dropped.add(`generationConfig.${key}`);
  }
  if (w.tools?.length) {
    const tools = toolsOf(w.tools, reader.dropped);
    if (tools.length > 0) request.tools = tools;
  }
  const callingConfig = w.toolConfig?.functionCallingConfig;
  if (callingConfig) {
    const choice = toolChoiceOf(callingConfig);
    if (choice !== undefined) request.toolChoice = choice;
  }
  for (const key of Object.keys(raw)) if (!CARRIED.has(key) && raw[key] != null) reader.dropped.add(key);
  if (reader.dropped.size > 0) request.dropped = [...reader.dropped];
  return request;
}
