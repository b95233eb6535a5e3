import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, ContentPart, Message, ToolChoice } from "../../spec/canonical-request.js";
import { toGeminiParameters, toGeminiSchema } from "./schema.js";
import { signatureFromId } from "./thought-signature.js";

type Json = Record<string, unknown>;
type Part = Json;

interface Content {
  role: "user" | "model";
  parts: Part[];
  /** What the parts are, so that only like turns merge (parallel tool results into one turn). */
  kind: "user" | "model" | "tool";
}

/**
 * Google's documented stand-in for a missing thought signature. Gemini 3 rejects a replayed
 * functionCall part without one; a call whose id carries no signature (made by another
 * model, or written by the client) gets this instead.
 */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

/** Gemini 3 and later check thought signatures on replayed function calls. */
function checksThoughtSignatures(model: string): boolean {
  const m = /gemini-(\d+)/.exec(model);
  return m !== null && Number(m[1]) >= 3;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*?),(.*)$/s;

const EXTENSION_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  mp3: "audio/mp3",
  wav: "audio/wav",
  mp4: "video/mp4",
};

/** A data URL as an inlineData part; undefined when `url` is not one. */
function inlineData(url: string, param: string): Part | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  const mimeType = m[1] || "application/octet-stream";
  const base64 = /;base64$/i.test(m[2] ?? "");
  let data: string;
  try {
    data = base64 ? m[3]! : Buffer.from(decodeURIComponent(m[3]!), "utf8").toString("base64");
  } catch {
    throw new InvalidRequestError("invalid_request", `${param} is not a valid data URL.`, { param });
  }
  return { inlineData: { mimeType, data } };
}

/** A file by URL (http, https, gs) as a fileData part, its type guessed from the extension when it has one. */
function fileData(url: string, param: string): Part {
  if (!/^(https?|gs):\/\//i.test(url)) {
    throw new InvalidRequestError("invalid_request", `${param}: a Gemini target takes images as data URLs or http(s)/gs URLs.`, { param });
  }
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  const mimeType = ext ? EXTENSION_TYPES[ext] : undefined;
  return { fileData: { fileUri: url, ...(mimeType ? { mimeType } : {}) } };
}

/** An OpenAI content part Tollgate keeps as "other": audio and inline files map; the rest cannot reach Gemini. */
function otherPart(raw: unknown, param: string): Part {
  const p = (raw ?? {}) as { type?: unknown; input_audio?: { data?: unknown; format?: unknown }; file?: { file_data?: unknown }; refusal?: unknown };
  if (p.type === "input_audio" && typeof p.input_audio?.data === "string") {
    const format = typeof p.input_audio.format === "string" ? p.input_audio.format : "wav";
    return { inlineData: { mimeType: `audio/${format}`, data: p.input_audio.data } };
  }
  if (p.type === "file" && typeof p.file?.file_data === "string") {
    const part = inlineData(p.file.file_data, param);
    if (part) return part;
  }
  if (p.type === "refusal" && typeof p.refusal === "string") return { text: p.refusal };
  throw new InvalidRequestError("unsupported_content", `${param}: content of type "${String(p.type)}" cannot be sent to a Gemini target.`, { param });
}

function contentParts(content: Message["content"], param: string): Part[] {
  if (content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part: ContentPart, j): Part[] => {
    const at = `${param}[${j}]`;
    if (part.type === "text") return part.text === "" ? [] : [{ text: part.text }];
    if (part.type === "image") return [inlineData(part.url, at) ?? fileData(part.url, at)];
    return [otherPart(part.raw, at)];
  });
}

function textOnly(content: Message["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

function functionArgs(text: string, param: string): Json {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequestError("invalid_tool_arguments", `${param} is not valid JSON; a Gemini target needs tool call arguments as a JSON object.`, { param });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new InvalidRequestError("invalid_tool_arguments", `${param} must be a JSON object for a Gemini target.`, { param });
  }
  return parsed as Json;
}

/** A tool result as Gemini's `response` object: the JSON object the tool returned, else `{content: text}`. */
function functionResponse(text: string): Json {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // Plain text.
  }
  return { content: text };
}

function toolConfig(choice: ToolChoice): Json {
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.name] } };
}

/**
 * A Gemini generateContent body from the canonical request. System and developer messages
 * become `systemInstruction`; assistant turns are role "model" (tool calls as functionCall
 * parts); tool results are functionResponse parts in a "user" turn, named after the call
 * they answer. Throws a 400 for what Gemini cannot take (tool arguments that are not a
 * JSON object, a result for an unknown call, content types it has no part for).
 */
export function toGeminiBody(request: CanonicalRequest, model: string): Json {
  const callNames = new Map<string, string>();
  for (const m of request.messages) for (const call of m.toolCalls ?? []) callNames.set(call.id, call.name);
  const signature = checksThoughtSignatures(model);

  const system: Part[] = [];
  const contents: Content[] = [];
  const push = (kind: Content["kind"], parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.kind === kind) last.parts.push(...parts);
    else contents.push({ role: kind === "model" ? "model" : "user", parts, kind });
  };

  request.messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case "system":
      case "developer": {
        const text = textOnly(m.content);
        if (text !== "") system.push({ text });
        break;
      }
      case "user":
        push("user", contentParts(m.content, `${param}.content`));
        break;
      case "assistant": {
        const parts = contentParts(m.content, `${param}.content`);
        (m.toolCalls ?? []).forEach((call, j) => {
          const part: Part = { functionCall: { name: call.name, args: functionArgs(call.arguments, `${param}.tool_calls[${j}].function.arguments`) } };
          // The call's own signature when its id carries one (thought-signature.ts), else Google's stand-in where it is checked.
          const own = signatureFromId(call.id);
          if (own) part.thoughtSignature = own;
          else if (signature) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          parts.push(part);
        });
        push("model", parts);
        break;
      }
      case "tool": {
        const name = (m.toolCallId !== undefined ? callNames.get(m.toolCallId) : undefined) ?? m.name;
        if (!name) {
          throw new InvalidRequestError(
            "invalid_request",
            `${param}.tool_call_id "${m.toolCallId ?? ""}" answers no tool call of an earlier assistant message; a Gemini target needs the function's name.`,
            { param: `${param}.tool_call_id` },
          );
        }
        push("tool", [{ functionResponse: { name, response: functionResponse(textOnly(m.content)) } }]);
        break;
      }
    }
  });
  if (contents.length === 0) throw new InvalidRequestError("invalid_request", "A Gemini target needs at least one user or assistant message with content.", { param: "messages" });

  const body: Json = { contents: contents.map(({ role, parts }) => ({ role, parts })) };
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (request.tools?.length) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((t) => {
          const parameters = toGeminiParameters(t.parameters);
          return { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(parameters ? { parameters } : {}) };
        }),
      },
    ];
    if (request.toolChoice !== undefined) body.toolConfig = toolConfig(request.toolChoice);
  }

  const generation: Json = {};
  if (request.maxOutputTokens !== undefined) generation.maxOutputTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) generation.temperature = request.temperature;
  if (request.topP !== undefined) generation.topP = request.topP;
  if (request.stop?.length) generation.stopSequences = request.stop;
  if (request.n !== undefined) generation.candidateCount = request.n;
  if (request.seed !== undefined) generation.seed = request.seed;
  const format = request.responseFormat;
  if (format?.type === "json_object") generation.responseMimeType = "application/json";
  else if (format?.type === "json_schema") {
    generation.responseMimeType = "application/json";
    const schema = toGeminiSchema(format.schema);
    if (Object.keys(schema).length > 0) generation.responseSchema = schema;
  }
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  return body;
}
