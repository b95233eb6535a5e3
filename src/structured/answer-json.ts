import type { Violation } from "./schema-validator.js";

export type ParsedAnswer = { ok: true; value: unknown; text: string } | { ok: false; violation: Violation };

/** A whole answer inside one Markdown code fence, as models in JSON mode sometimes write it. */
const FENCED = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?\s*```\s*$/i;

/** The answer's JSON value, and the exact text of it (without a surrounding code fence). */
export function parseAnswer(answer: string): ParsedAnswer {
  const text = FENCED.exec(answer)?.[1] ?? answer;
  try {
    return { ok: true, value: JSON.parse(text), text: text.trim() };
  } catch (err) {
    const reason = text.trim() === "" ? "the answer is empty" : (err as Error).message;
    return { ok: false, violation: { path: "", message: `is not valid JSON (${reason})` } };
  }
}
