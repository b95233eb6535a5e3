import { GatewayError } from "../errors/gateway-error.js";
import { MAX_VIOLATIONS } from "./repair-turn.js";
import type { Violation } from "./schema-validator.js";

/** Every answer (after every repair, on every target) failed the request's JSON Schema. */
export class StructuredOutputInvalidError extends GatewayError {
  constructor(
    readonly violations: Violation[],
    answers: number,
  ) {
    const shown = violations.slice(0, MAX_VIOLATIONS);
    const first = shown
      .map((v) => `${v.path || "(root)"}: ${v.message}`)
      .slice(0, 3)
      .join("; ");
    super("structured_output_invalid", `No answer matched the JSON Schema after ${answers} attempt${answers === 1 ? "" : "s"}: ${first}.`, {
      exposed: { violations: shown, answers },
    });
  }
}
