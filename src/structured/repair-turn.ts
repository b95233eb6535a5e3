import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { Violation } from "./schema-validator.js";

/** At most this many violations go back to the model (and into the 422): enough to fix, not a flood. */
export const MAX_VIOLATIONS = 20;

function violationLines(violations: readonly Violation[]): string {
  return violations
    .slice(0, MAX_VIOLATIONS)
    .map((v) => `- ${v.path === "" ? "(root)" : v.path}: ${v.message}`)
    .join("\n");
}

/** The user turn that sends the violations back. */
function repairPrompt(violations: readonly Violation[]): string {
  return [
    "Your previous answer does not match the required JSON Schema.",
    "Problems (JSON pointer: what is wrong):",
    violationLines(violations),
    "Answer again with the corrected JSON value only, valid against the schema: no prose, no code fence.",
  ].join("\n");
}

/**
 * The conversation for the next try: the model's bad answer as its own turn, then a user
 * turn listing what is wrong. The errors are user content, never system text.
 */
export function withRepair(request: CanonicalRequest, badAnswer: string, violations: readonly Violation[]): CanonicalRequest {
  return {
    ...request,
    rewritten: true,
    messages: [...request.messages, { role: "assistant", content: badAnswer }, { role: "user", content: repairPrompt(violations) }],
  };
}
