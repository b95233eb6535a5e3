import type { PartialArg } from "./partial-args.js";
import { createHash, randomUUID } from "node:crypto";

/** The parts of Gemini's GenerateContentResponse that Tollgate reads. */
export interface GeminiPart {
  text?: string;
  /** True on a thought summary part (reasoning), with includeThoughts. */
  thought?: boolean;
  functionCall?: { id?: string; name?: string; args?: unknown; partialArgs?: PartialArg[]; willContinue?: boolean };
  thoughtSignature?: string;
}

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: unknown;
  modelVersion?: string;
  responseId?: string;
  error?: { message?: string; status?: string };
}

/**
 * Gemini sends whole function calls without ids (or with its own, which is kept): Tollgate
 * names each one after the response, the candidate and the call's position in it, so the
 * same answer always yields the same ids, streamed or not. Short enough for OpenAI's 40-character limit.
 */
export function toolCallId(responseId: string, candidate: number, index: number): string {
  return `call_${createHash("sha256").update(`${responseId}\u0000${candidate}\u0000${index}`).digest("hex").slice(0, 24)}`;
}

/** A response id for answers that came without one. */
export function fallbackResponseId(): string {
  return randomUUID();
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
