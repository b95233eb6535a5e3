/**
 * Gemini recordings (test/fixtures/recorded/google): rebuilding their SSE framing and
 * computing, from the JSON alone (never through the code under test), what a correct
 * parser must extract from them.
 */
import type { FramingOptions } from "./fixtures.js";

/** Rebuilds a streamGenerateContent?alt=sse stream: `data: <line>\n\n` per payload, and no end marker. */
export function geminiSseBytes(payloads: readonly string[], options: FramingOptions = {}): Buffer {
  const eol = options.crlf ? "\r\n" : "\n";
  return Buffer.from(payloads.map((p) => `data: ${p}${eol}${eol}`).join(""), "utf8");
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" ? v : 0);

export interface ExpectedGeminiCall {
  name: string;
  /** The call's args, as JSON. */
  arguments: string;
}

export interface ExpectedGeminiCandidate {
  index: number;
  /** Concatenated non-thought text parts. */
  text: string;
  /** Concatenated thought parts. */
  reasoning: string;
  calls: ExpectedGeminiCall[];
  /** The wire finishReason; null when none came. */
  finishReason: string | null;
}

export interface ExpectedGeminiUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  source: "reported";
}

/**
 * Gemini's usageMetadata in canonical form: input = promptTokenCount (+ toolUsePromptTokenCount),
 * output = candidatesTokenCount + thoughtsTokenCount, reasoning = thoughtsTokenCount,
 * cached = cachedContentTokenCount.
 */
export function expectedUsageFromGemini(u: Json): ExpectedGeminiUsage {
  return {
    inputTokens: num(u.promptTokenCount) + num(u.toolUsePromptTokenCount),
    outputTokens: num(u.candidatesTokenCount) + num(u.thoughtsTokenCount),
    cachedInputTokens: num(u.cachedContentTokenCount),
    cacheWriteTokens: 0,
    reasoningTokens: num(u.thoughtsTokenCount),
    source: "reported",
  };
}

/** Sets (a string piece: appends) a streamed argument at `$.a.b[0].c`. */
function setAtPath(root: Json, jsonPath: string, piece: Json): void {
  const keys = [...jsonPath.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
  let node = root as Record<string | number, unknown>;
  keys.slice(0, -1).forEach((key, i) => {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = typeof keys[i + 1] === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  const last = keys.at(-1)!;
  if (typeof piece.stringValue === "string") node[last] = (typeof node[last] === "string" ? node[last] : "") + piece.stringValue;
  else if ("numberValue" in piece) node[last] = piece.numberValue;
  else if ("boolValue" in piece) node[last] = piece.boolValue;
  else if ("nullValue" in piece) node[last] = null;
}

/** What a parser must extract from Gemini response objects (stream payloads, or one whole body). */
export function expectedFromGemini(objects: readonly unknown[]): { candidates: ExpectedGeminiCandidate[]; usage: ExpectedGeminiUsage | null; responseId: string; modelVersion: string } {
  const slots = new Map<number, ExpectedGeminiCandidate>();
  const streaming = new Map<number, { name: string; args: Json }>();
  let usage: Json | null = null;
  let responseId = "";
  let modelVersion = "";
  for (const obj of objects) {
    if (!isObject(obj)) throw new Error("not a Gemini response object");
    if (typeof obj.responseId === "string" && !responseId) responseId = obj.responseId;
    if (typeof obj.modelVersion === "string" && !modelVersion) modelVersion = obj.modelVersion;
    const candidates = Array.isArray(obj.candidates) ? obj.candidates : [];
    candidates.forEach((c: unknown, position: number) => {
      if (!isObject(c)) return;
      const index = typeof c.index === "number" ? c.index : position;
      let slot = slots.get(index);
      if (!slot) slots.set(index, (slot = { index, text: "", reasoning: "", calls: [], finishReason: null }));
      const content = isObject(c.content) ? c.content : {};
      for (const part of Array.isArray(content.parts) ? content.parts : []) {
        if (!isObject(part)) continue;
        if (isObject(part.functionCall)) {
          const call = part.functionCall;
          const open = streaming.get(index);
          if (open || call.willContinue === true) {
            // Streamed arguments: a start with the name, pieces at JSON paths, a part without willContinue to end.
            const target = open ?? { name: String(call.name), args: {} };
            streaming.set(index, target);
            for (const piece of Array.isArray(call.partialArgs) ? call.partialArgs : []) setAtPath(target.args, (piece as Json).jsonPath as string, piece as Json);
            if (call.willContinue !== true) {
              slot.calls.push({ name: target.name, arguments: JSON.stringify(target.args) });
              streaming.delete(index);
            }
          } else slot.calls.push({ name: String(call.name), arguments: JSON.stringify(call.args ?? {}) });
        }
        else if (typeof part.text === "string") {
          if (part.thought === true) slot.reasoning += part.text;
          else slot.text += part.text;
        }
      }
      if (typeof c.finishReason === "string") {
        // A call still streaming when its candidate finishes is complete as it is.
        const open = streaming.get(index);
        if (open) slot.calls.push({ name: open.name, arguments: JSON.stringify(open.args) });
        streaming.delete(index);
        slot.finishReason = c.finishReason;
      }
    });
    if (isObject(obj.usageMetadata)) usage = obj.usageMetadata;
  }
  return { candidates: [...slots.values()].sort((a, b) => a.index - b.index), usage: usage ? expectedUsageFromGemini(usage) : null, responseId, modelVersion };
}
