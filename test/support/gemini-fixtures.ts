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

interface ExpectedGeminiCall {
  name: string;
  /** The call's args, as JSON. */
  arguments: string;
  /** The part's thoughtSignature (Gemini 3), when it had one. */
  thoughtSignature?: string;
}

/**
 * Sets `value` at a JSON path like `$.a.b[0].c` in `root`, read by splitting on the
 * path's punctuation (the recordings' keys are plain names).
 */
function setAtPath(root: Json, path: string, value: unknown): void {
  const keys = path
    .replace(/^\$\.?/, "")
    .split(/\.|\[|\]/)
    .filter((k) => k !== "");
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < keys.length; i++) {
    const key = /^\d+$/.test(keys[i]!) ? Number(keys[i]) : keys[i]!;
    if (i === keys.length - 1) node[key] = value;
    else {
      if (node[key] === undefined) node[key] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    }
  }
}

/**
 * A call Gemini 3 streamed in pieces: every partialArgs entry in order; a string value
 * continues (is appended to) while the entry before it at the same path said willContinue.
 */
function assembleStreamedArgs(entries: Json[]): Json {
  const values = new Map<string, unknown>();
  let continuing: string | null = null;
  for (const e of entries) {
    const path = String(e.jsonPath);
    const value = "stringValue" in e ? e.stringValue : "numberValue" in e ? e.numberValue : "boolValue" in e ? e.boolValue : null;
    values.set(path, continuing === path ? String(values.get(path)) + String(value) : value);
    continuing = e.willContinue === true ? path : null;
  }
  const root: Json = {};
  for (const [path, value] of values) setAtPath(root, path, value);
  return root;
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
function expectedUsageFromGemini(u: Json): ExpectedGeminiUsage {
  return {
    inputTokens: num(u.promptTokenCount) + num(u.toolUsePromptTokenCount),
    outputTokens: num(u.candidatesTokenCount) + num(u.thoughtsTokenCount),
    cachedInputTokens: num(u.cachedContentTokenCount),
    cacheWriteTokens: 0,
    reasoningTokens: num(u.thoughtsTokenCount),
    source: "reported",
  };
}

/** What a parser must extract from Gemini response objects (stream payloads, or one whole body). */
export function expectedFromGemini(objects: readonly unknown[]): { candidates: ExpectedGeminiCandidate[]; usage: ExpectedGeminiUsage | null; responseId: string; modelVersion: string } {
  const slots = new Map<number, ExpectedGeminiCandidate>();
  let usage: Json | null = null;
  let responseId = "";
  let modelVersion = "";
  const streamed = new Map<number, { name: string; entries: Json[]; signature: { thoughtSignature?: string } }>();
  const closeStreamed = (index: number, slot: ExpectedGeminiCandidate) => {
    const open = streamed.get(index);
    if (!open) return;
    streamed.delete(index);
    slot.calls.push({ name: open.name, arguments: JSON.stringify(assembleStreamedArgs(open.entries)), ...open.signature });
  };
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
        const fc = isObject(part.functionCall) ? part.functionCall : undefined;
        const signature = typeof part.thoughtSignature === "string" ? { thoughtSignature: part.thoughtSignature } : {};
        if (fc && (fc.willContinue === true || streamed.has(index))) {
          // A streamed call: named by its first part, its arguments in the parts after, ended by the part without willContinue (or the finish).
          let open = streamed.get(index);
          if (!open || typeof fc.name === "string") {
            if (open) closeStreamed(index, slot);
            open = { name: String(fc.name ?? ""), entries: [], signature };
            streamed.set(index, open);
          }
          if (Array.isArray(fc.partialArgs)) open.entries.push(...(fc.partialArgs as Json[]));
          if (fc.willContinue !== true) closeStreamed(index, slot);
        } else if (fc) slot.calls.push({ name: String(fc.name), arguments: JSON.stringify(fc.args ?? {}), ...signature });
        else if (typeof part.text === "string") {
          if (part.thought === true) slot.reasoning += part.text;
          else slot.text += part.text;
        }
      }
      if (typeof c.finishReason === "string") {
        closeStreamed(index, slot);
        slot.finishReason = c.finishReason;
      }
    });
    if (isObject(obj.usageMetadata)) usage = obj.usageMetadata;
  }
  return { candidates: [...slots.values()].sort((a, b) => a.index - b.index), usage: usage ? expectedUsageFromGemini(usage) : null, responseId, modelVersion };
}
