import type { z } from "zod";
import { InvalidRequestError } from "../errors/gateway-error.js";
import { fieldPath } from "../errors/field-path.js";

/** `limits.budgets[0].period` */
// Missing fields say so instead of "expected string, received undefined".
const errorMap = (issue: { code?: string; input?: unknown }) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined);

/**
 * Parses `value` with `schema`, or throws a 400 naming the first bad field (`where` says
 * whether it is a body field or a query parameter).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: "body" | "query"): z.output<S> {
  // `?user_id=&team_id=red`: an empty query parameter is an absent one.
  const input = where === "query" && value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== "")) : value;
  const parsed = schema.safeParse(input, { error: errorMap });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((k) => fieldPath([...issue.path, k]));
    const kind = where === "query" ? "query parameter" : "field";
    throw new InvalidRequestError("invalid_request", `Unknown ${kind}${names.length > 1 ? "s" : ""}: ${names.join(", ")}.`, { param: names[0] ?? null });
  }
  const param = fieldPath(issue.path);
  if (!param) throw new InvalidRequestError("invalid_request", where === "body" ? `The request body must be a JSON object: ${issue.message}.` : issue.message);
  throw new InvalidRequestError("invalid_request", `Invalid value for ${param}: ${issue.message}.`, { param });
}

/** A 400 about one named field. */
export function invalidField(param: string, message: string): InvalidRequestError {
  return new InvalidRequestError("invalid_request", `Invalid value for ${param}: ${message}`, { param });
}
