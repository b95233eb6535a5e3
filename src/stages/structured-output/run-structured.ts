import { AllTargetsFailedError, type AttemptSummary } from "../../errors/upstream-errors.js";
import type { RoutedContext } from "../context.js";
import { completeStep, type RouteTarget } from "../../engine/open-answer.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { addUsage, type Usage } from "../../spec/usage.js";
import { parseAnswer } from "../../structured/answer-json.js";
import { outputStrategy } from "../../structured/output-strategy.js";
import { withRepair } from "../../structured/repair-turn.js";
import type { SchemaCheck, Violation } from "../../structured/schema-validator.js";
import { StructuredOutputInvalidError } from "../../structured/structured-output-error.js";

export type JsonSchemaFormat = Extract<NonNullable<CanonicalRequest["responseFormat"]>, { type: "json_schema" }>;

export interface StructuredAnswer {
  /** The answer for the client: the validated JSON as its text (or the client's own tool calls, untouched). */
  response: CanonicalResponse;
  target: RouteTarget;
  /** Answers sent back for repair before this one. */
  repairs: number;
}

type Verdict = { ok: true; text: string } | { ok: false; violations: Violation[] };

function judge(answer: string, check: SchemaCheck): Verdict {
  const parsed = parseAnswer(answer);
  if (!parsed.ok) return { ok: false, violations: [parsed.violation] };
  const violations = check(parsed.value);
  return violations.length === 0 ? { ok: true, text: parsed.text } : { ok: false, violations };
}

/** What every metered step of this request used, for the answer's own usage field. */
function stepsUsage(ctx: RoutedContext): Usage | undefined {
  return ctx.attempts.reduce<Usage | undefined>((sum, a) => (a.usage ? (sum ? addUsage(sum, a.usage) : a.usage) : sum), undefined);
}

/** The validated JSON as the answer's text: no forced tool call, a plain stop. */
function asAnswer(ctx: RoutedContext, response: CanonicalResponse, text: string): CanonicalResponse {
  const { toolCalls: _forced, ...choice } = response.choices[0]!;
  const usage = stepsUsage(ctx);
  return { ...response, choices: [{ ...choice, index: 0, text, finishReason: "stop" }], ...(usage ? { usage } : {}) };
}

/**
 * Asks each target in turn for JSON the schema accepts, the way that target does it
 * best; an invalid answer goes back with its violations up to `repairAttempts` times,
 * then the next target is asked. Every call is a metered step, and every call after
 * the first reserves its own worst case on the request's budgets first.
 * Throws 422 (the last violations) when no answer validated, or the targets' failures
 * when none answered at all.
 */
export async function runStructured(ctx: RoutedContext, request: CanonicalRequest, format: JsonSchemaFormat, check: SchemaCheck): Promise<StructuredAnswer> {
  const route = ctx.route;
  const failed: AllTargetsFailedError[] = [];
  let violations: Violation[] | undefined;
  let answers = 0;
  for (const target of route.targets) {
    const strategy = outputStrategy(ctx.services.config.providers[target.provider]!, request, format);
    let step = strategy.request;
    for (let repairs = 0; repairs <= route.structuredOutput.repairAttempts; repairs++) {
      if (answers > 0) {
        // After an answer, each call (a repair, or the next target) is a step of its own, not a retry.
        ctx.step++;
        await ctx.reserveStep?.(step, [target]);
      }
      let response: CanonicalResponse;
      try {
        response = await completeStep(ctx, step, route, [target]);
      } catch (err) {
        // This target is down: the next one may answer.
        if (!(err instanceof AllTargetsFailedError)) throw err;
        failed.push(err);
        break;
      }
      answers++;
      const answer = strategy.answerText(response);
      // The model called one of the client's own tools: that is the client's to run.
      if (answer === undefined) return { response, target, repairs };
      const verdict = judge(answer, check);
      if (verdict.ok) return { response: asAnswer(ctx, response, verdict.text), target, repairs };
      violations = verdict.violations;
      step = withRepair(step, answer, violations);
    }
  }
  if (violations) throw new StructuredOutputInvalidError(violations, answers);
  if (failed.length === 1) throw failed[0]!;
  const attempts: AttemptSummary[] = failed.flatMap((f) => f.attempts);
  throw new AllTargetsFailedError(route.name, attempts, failed.at(-1));
}
